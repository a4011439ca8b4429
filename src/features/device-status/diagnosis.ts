/**
 * `diagnose phone`: walks the boot steps of seed §2 (configuration file, default file,
 * registration, status) with what one or more nodes saw of the device, and names the likely
 * causes with the fixes of the seed's troubleshooting list (§3, §10). Pure: evidence in,
 * diagnosis out.
 */
import type { AttemptView, DeviceEvidence, FetchView, TransitionView } from './device-status.js';

export type StepOutcome = 'ok' | 'failed' | 'not-seen' | 'skipped';

export interface DiagnosisStep {
  readonly step: string;
  readonly outcome: StepOutcome;
  readonly detail: string;
}

/** The seed's symptom → cause → fix, with what was seen that points to it. */
export interface Finding {
  readonly code:
    | 'not-configured'
    | 'version-error'
    | 'bad-credentials'
    | 'mac-mismatch'
    | 'no-tftp-request'
    | 'flapping-between-nodes'
    | 'flapping'
    | 'max-phones'
    | 'registrar-error'
    | 'line-not-on-phone';
  readonly cause: string;
  readonly fix: string;
  readonly evidence: string;
}

export interface Diagnosis {
  readonly device: string;
  /** The nodes whose evidence was read. */
  readonly nodes: readonly string[];
  readonly steps: readonly DiagnosisStep[];
  /** Most likely first; empty when nothing looks wrong. */
  readonly findings: readonly Finding[];
  readonly summary: string;
}

/** Registrar rejection reasons (src/adapters/sip-line) and what the seed says of each, most telling first. */
const REJECTIONS: Readonly<Record<string, { readonly cause: string; readonly fix: string }>> = {
  'version-error': {
    cause: 'wrong phone type configured: the phone shows "version error"',
    fix: 'configure the model the phone is (a CP-7961G is added as 7961, not 7961G-GE)',
  },
  'mac-mismatch': {
    cause: 'wrong MAC address entered for the phone',
    fix: 'read the MAC in the phone (Settings > Network Configuration) and correct the phone name SEP<MAC>',
  },
  'bad-credentials': {
    cause: 'the credentials the phone registers with do not verify',
    fix: "check the phone's SIP user name and password, and let the phone fetch its file again (it carries them); after 10 failures its address is locked out for 10 minutes",
  },
  'max-phones': {
    cause: 'the node already has as many phones as it takes',
    fix: "raise the node's max-phones, or give the phone's device pool another node",
  },
  'line-not-on-phone': {
    cause: 'the phone registers a line it is not configured with (a stale or foreign file)',
    fix: "reset the phone so that it fetches its file again; check the phone's lines",
  },
  'registrar-error': {
    cause: 'the node could not store the registration',
    fix: "check the database the node writes to (the node's log, the store's health)",
  },
};

/** Node changes while registered, within the history, that make a device flap between nodes. */
const NODE_CHANGES_FOR_FLAPPING = 2;
/** Keepalives lost, within the history, that make a device flap on one node. */
const LOSSES_FOR_FLAPPING = 3;

const DEFAULT_FILE = /^SEPDefault\.cnf(\.xml)?$/i;
const OWN_FILE = /^SEP[0-9A-F]{12}\.cnf(\.xml)?$/i;

export function diagnose(device: string, evidence: readonly DeviceEvidence[]): Diagnosis {
  const nodes = evidence.map((entry) => entry.status.node);
  const fetches = evidence.flatMap((entry) => entry.fetches).sort(byTime);
  const attempts = evidence.flatMap((entry) => entry.attempts).sort(byTime);
  const history = evidence.flatMap((entry) => entry.status.history).sort(byTime);
  const configured = evidence.some((entry) => entry.status.configured);
  const autoRegistration = evidence.some((entry) => entry.autoRegistration);
  const registeredOn = evidence.filter((entry) => entry.status.status === 'registered');

  const ownFile = lastOf(fetches, (fetch) => OWN_FILE.test(fetch.file));
  const defaultFile = lastOf(fetches, (fetch) => DEFAULT_FILE.test(fetch.file));
  const lastAttempt = latest(attempts);

  const steps: DiagnosisStep[] = [
    ownFileStep(device, ownFile),
    defaultFileStep(ownFile, defaultFile),
    registrationStep(lastAttempt),
    {
      step: 'status',
      outcome: registeredOn.length > 0 ? 'ok' : evidence.length > 0 ? 'failed' : 'not-seen',
      detail:
        evidence.length === 0
          ? 'no node knows the device'
          : evidence
              .map((entry) => `${entry.status.node}: ${entry.status.status}${suffix(entry.status.reason)}`)
              .join('; '),
    },
  ];

  const findings: Finding[] = [];
  const rejected = (reason: string) => attempts.filter((attempt) => attempt.reason === reason);
  const lastAccepted = lastOf(attempts, (attempt) => attempt.result === 'accepted');
  const since = (list: readonly AttemptView[]) =>
    lastAccepted === undefined ? list : list.filter((attempt) => attempt.at > lastAccepted.at);

  const unknown = since(rejected('unknown-device'));
  const missingFiles =
    ownFile !== undefined && !ownFile.found && (defaultFile === undefined || !defaultFile.found);
  if (!configured && (unknown.length > 0 || (missingFiles && !autoRegistration))) {
    findings.push({
      code: 'not-configured',
      cause: autoRegistration
        ? 'the phone is not in the database'
        : 'the phone is not in the database and auto-registration is off (the default)',
      fix: `add the phone ${device} (strowger.yaml phones:, or POST /api/v1/phones) or turn auto-registration on`,
      evidence: [
        unknown.length > 0 ? `${unknown.length} registration(s) refused as unknown device` : '',
        missingFiles ? `${ownFile?.file} and the default file not found` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }

  for (const [reason, known] of Object.entries(REJECTIONS)) {
    const seen = since(rejected(reason));
    const last = latest(seen);
    if (last === undefined) continue;
    const count = seen.length > 1 ? `${seen.length} times, last: ` : '';
    findings.push({ code: reason as Finding['code'], ...known, evidence: `${count}${last.detail}` });
  }

  if (fetches.length === 0 && registeredOn.length === 0) {
    findings.push({
      code: 'no-tftp-request',
      cause: 'the phone never asked for its configuration file',
      fix: 'check DHCP option 150 (or the alternate TFTP server set on the phone), and that the network passes TFTP to the node (access lists, VLAN, gateway)',
      evidence: `no TFTP or HTTP request seen on ${nodes.length > 0 ? nodes.join(', ') : 'any node'}`,
    });
  }

  const keepalive = Math.max(...evidence.map((entry) => entry.status.keepaliveSeconds), 0);
  const nodeChanges = countNodeChanges(history);
  const losses = history.filter((transition) => transition.reason?.startsWith('keepalive lost')).length;
  if (nodeChanges >= NODE_CHANGES_FOR_FLAPPING) {
    findings.push({
      code: 'flapping-between-nodes',
      cause:
        'registration moves between primary and secondary node: QoS drops its traffic, or it misses keepalives',
      fix: `trust QoS on the switch port towards the nodes (mls qos trust); for off-site phones raise StationKeepaliveInterval from ${keepalive} s (e.g. to 90 s)`,
      evidence: `${nodeChanges} node changes: ${nodeSequence(history)}`,
    });
  } else if (losses >= LOSSES_FOR_FLAPPING) {
    findings.push({
      code: 'flapping',
      cause:
        'registration flaps between registered and unregistered: keepalives are lost, or the phone was not added correctly',
      fix: `check the network path and QoS (mls qos trust); raise StationKeepaliveInterval from ${keepalive} s; if it persists, delete and re-add the phone`,
      evidence: `${losses} keepalive losses in the last ${history.length} transitions`,
    });
  }

  return { device, nodes, steps, findings, summary: summaryOf(device, registeredOn, findings) };
}

function ownFileStep(device: string, fetch: FetchView | undefined): DiagnosisStep {
  const step = 'configuration file (SEP<MAC>.cnf.xml)';
  if (fetch === undefined) return { step, outcome: 'not-seen', detail: `no request for ${device}'s file` };
  return {
    step,
    outcome: fetch.found ? 'ok' : 'failed',
    detail: `${fetch.file} ${fetch.found ? 'served' : 'not found'} over ${fetch.via.toUpperCase()} to ${fetch.address} at ${fetch.at}`,
  };
}

function defaultFileStep(own: FetchView | undefined, fetch: FetchView | undefined): DiagnosisStep {
  const step = 'default file (SEPDefault.cnf.xml)';
  if (fetch === undefined) {
    return own?.found
      ? { step, outcome: 'skipped', detail: 'not needed: the phone has its own file' }
      : { step, outcome: 'not-seen', detail: 'no request for the default file' };
  }
  return {
    step,
    outcome: fetch.found ? 'ok' : 'failed',
    detail: fetch.found
      ? `${fetch.file} served (auto-registration on) at ${fetch.at}`
      : `${fetch.file} not found (auto-registration off) at ${fetch.at}: the phone restarts its configuration`,
  };
}

function registrationStep(attempt: AttemptView | undefined): DiagnosisStep {
  const step = 'registration';
  if (attempt === undefined) return { step, outcome: 'not-seen', detail: 'no REGISTER seen' };
  const from = `${attempt.source.protocol} ${attempt.source.address}:${attempt.source.port}`;
  return {
    step,
    outcome: attempt.result === 'accepted' ? 'ok' : 'failed',
    detail: `${attempt.status} ${attempt.result}${suffix(attempt.reason && `${attempt.reason}: ${attempt.detail}`)} from ${from} at ${attempt.at}`,
  };
}

function countNodeChanges(history: readonly TransitionView[]): number {
  let changes = 0;
  let node: string | undefined;
  for (const transition of history) {
    if (transition.status !== 'registered') continue;
    if (node !== undefined && transition.node !== node) changes++;
    node = transition.node;
  }
  return changes;
}

function nodeSequence(history: readonly TransitionView[]): string {
  return history
    .filter((transition) => transition.status === 'registered')
    .map((transition) => transition.node)
    .join(' → ');
}

function summaryOf(
  device: string,
  registeredOn: readonly DeviceEvidence[],
  findings: readonly Finding[],
): string {
  const first = findings[0];
  if (first !== undefined) return `${device}: ${first.cause}; fix: ${first.fix}`;
  if (registeredOn.length > 0)
    return `${device} is registered on ${registeredOn.map((entry) => entry.status.node).join(', ')}; no problem seen`;
  return `${device}: nothing seen that names a cause`;
}

function suffix(text: string | null): string {
  return text ? ` (${text})` : '';
}

function byTime(a: { at: string }, b: { at: string }): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : 0;
}

function latest<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}

function lastOf<T>(list: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let index = list.length - 1; index >= 0; index--) {
    const item = list[index] as T;
    if (test(item)) return item;
  }
  return undefined;
}
