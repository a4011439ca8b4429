/**
 * Auto-registration (seed §2.7, R-REG-01/02/06): a phone that is not configured and logs in with
 * the auto-registration account is created through the configuration service, with the next
 * free directory number of a configured range, in the auto-registration device pool. Its
 * `SEP<MAC>.cnf.xml` then exists, carrying its line and its own credentials, and the phone uses
 * that file from its next boot on. Additions run one at a time (two phones never get one DN),
 * with a bounded queue behind them.
 */
import { randomBytes } from 'node:crypto';
import type { CrudResult, ResourceInputs } from '../../admin/index.js';

export interface AutoRegistrationSettings {
  /** Off by default (R-REG-02). */
  readonly enabled: boolean;
  /** The credentials unconfigured phones register with (SEPDefault phones have no others). */
  readonly account: { readonly username: string; readonly password: string };
  /** The range new phones' DNs are taken from, in order; both ends the same number of digits. */
  readonly directoryNumbers: { readonly first: string; readonly last: string };
  readonly partition: string;
  /** Null: the phone gets no device pool, so the default CallManager group. */
  readonly devicePool: string | null;
  readonly callingSearchSpace: string | null;
}

/** The part of the configuration service auto-registration writes through. */
export interface PhoneWriter {
  create<K extends 'line' | 'phone'>(kind: K, input: ResourceInputs[K]): Promise<CrudResult<unknown>>;
  remove(kind: 'line', key: string): Promise<CrudResult<never>>;
}

/** What the running configuration already has. */
export interface ExistingConfiguration {
  readonly phones: ReadonlyMap<string, unknown>;
  readonly lines: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
}

export interface NewDevice {
  /** `SEP<MAC>`. */
  readonly name: string;
  readonly identity: { readonly model: string | null };
}

export type AdditionResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string };

export interface AutoRegistrationOptions {
  readonly settings: AutoRegistrationSettings;
  readonly writer: PhoneWriter;
  readonly configuration: () => ExistingConfiguration;
  /** Additions waiting behind the one in progress; more are refused until the queue drains. */
  readonly maxQueued?: number;
}

export interface AutoRegistration {
  readonly account: AutoRegistrationSettings['account'];
  add(device: NewDevice): Promise<AdditionResult>;
}

const DEFAULT_MAX_QUEUED = 100;
/** Generic model of a phone that does not name its own. */
const GENERIC_MODEL = 'SIP phone';

/** Problems with the settings, worded for the configuration file; empty when they are usable. */
export function checkAutoRegistrationSettings(settings: AutoRegistrationSettings): string[] {
  const problems: string[] = [];
  const { first, last } = settings.directoryNumbers;
  if (!/^[0-9]{1,15}$/.test(first) || !/^[0-9]{1,15}$/.test(last) || first.length !== last.length)
    problems.push('directoryNumbers: first and last must be numbers with the same count of digits');
  else if (BigInt(first) > BigInt(last)) problems.push('directoryNumbers: first must not be above last');
  if (settings.account.username === '' || settings.account.password.length < 8)
    problems.push('account: a user name and a password of at least 8 characters are needed');
  if (settings.partition === '') problems.push('partition: required');
  return problems;
}

export function createAutoRegistration(options: AutoRegistrationOptions): AutoRegistration {
  const { settings, writer } = options;
  const problems = checkAutoRegistrationSettings(settings);
  if (problems.length > 0) throw new Error(`auto-registration settings: ${problems.join('; ')}`);
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;

  async function addNow(device: NewDevice): Promise<AdditionResult> {
    if (options.configuration().phones.has(device.name)) return { ok: true, detail: `${device.name} exists` };
    for (const dn of freeNumbers(settings, options.configuration())) {
      const line = await writer.create('line', {
        dn,
        partition: settings.partition,
        description: `auto-registered ${device.name}`,
      });
      // Taken meanwhile (another node, the API): try the next one.
      if (!line.ok && line.reason === 'exists') continue;
      if (!line.ok) return { ok: false, detail: `line ${dn} not created: ${line.message}` };
      const phone = await writer.create('phone', {
        name: device.name,
        model: device.identity.model === null ? GENERIC_MODEL : `Cisco ${device.identity.model}`,
        protocol: 'sip',
        description: 'auto-registered',
        ...(settings.devicePool === null ? {} : { devicePool: settings.devicePool }),
        ...(settings.callingSearchSpace === null ? {} : { callingSearchSpace: settings.callingSearchSpace }),
        sip: { username: device.name, password: randomBytes(18).toString('base64url') },
        lines: [{ dn, partition: settings.partition, button: 1 }],
      });
      if (phone.ok) return { ok: true, detail: `${device.name} added with directory number ${dn}` };
      await writer.remove('line', `${settings.partition}/${dn}`);
      return { ok: false, detail: `${device.name} not created: ${phone.message}` };
    }
    const { first, last } = settings.directoryNumbers;
    return { ok: false, detail: `no free directory number in ${first}–${last}` };
  }

  return {
    account: settings.account,
    add(device) {
      if (queued > maxQueued) return Promise.resolve({ ok: false, detail: 'auto-registration is busy' });
      queued++;
      const result = tail.then(() => addNow(device));
      tail = result.catch(() => undefined);
      return result.finally(() => {
        queued--;
      });
    },
  };
}

/** The range's numbers not yet lines of the partition, in order, zero-padded like the range. */
function* freeNumbers(
  settings: AutoRegistrationSettings,
  configuration: ExistingConfiguration,
): Generator<string> {
  const { first, last } = settings.directoryNumbers;
  const taken = configuration.lines.get(settings.partition);
  for (let number = BigInt(first); number <= BigInt(last); number++) {
    const dn = number.toString().padStart(first.length, '0');
    if (!taken?.has(dn)) yield dn;
  }
}
