/**
 * Transfers asked by REFER (RFC 3515) inside a call's dialog: Refer-To without Replaces is a
 * blind transfer of the other party to that number, Refer-To with Replaces (RFC 3891) names the
 * consultation call whose party joins the held one. The REFER is accepted with 202, its
 * progress reported by NOTIFY with a message/sipfrag body (RFC 3515 §2.4.5), and the
 * transferring leg's BYE waits for the last NOTIFY. A carrier's party may take a transfer itself
 * (a REFER to the carrier, `TransferHandOff`); otherwise the core transfers (hairpin).
 */
import type { CallCore, Cause, ConnectionView } from '../../core/index.js';
import { dialogKey, type IncomingRequest, parseNameAddr, type Uri } from '../../sip/index.js';
import { CONFERENCE_BRIDGE } from '../media/index.js';
import type { Leg, LegContext } from './leg.js';

/**
 * Offers a transfer to `target` to the other party's own network (a carrier's REFER, R-TRUNK-17):
 * the blind transfer's number or the consulted party's. Resolves true when the network took it
 * over, false to let the core transfer instead.
 */
export type TransferHandOff = (
  partyLeg: Leg,
  party: ConnectionView,
  target: string,
  transferringNumber: string,
) => Promise<boolean>;

export type ReferTarget =
  | { readonly kind: 'blind'; readonly number: string }
  | {
      readonly kind: 'consultative';
      readonly callId: string;
      readonly toTag: string;
      readonly fromTag: string;
    };

/** Dialled numbers as a Refer-To user carries them; longer or other characters are refused. */
const NUMBER = /^\+?[0-9*#]{1,32}$/;
/** RFC 3515 §2.4.5: the NOTIFY body is a SIP status line. */
const SIPFRAG = 'message/sipfrag;version=2.0';
/** How long the implicit subscription lasts at most (RFC 3515 §2.4.4 leaves it to the notifier). */
const SUBSCRIPTION_SECONDS = 60;

/** Reads Refer-To (RFC 3515 §2.1); undefined for anything but one SIP URI naming a number or a dialog. */
export function readReferTo(value: string | undefined): ReferTarget | undefined {
  if (value === undefined || value.length > 2048) return undefined;
  const parsed = parseNameAddr(value.trim());
  if (!parsed.ok) return undefined;
  const uri = parsed.value.uri;
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return undefined;
  const replaces = headerOf(uri, 'replaces');
  if (replaces !== undefined) return readReplaces(replaces);
  const number = uri.user?.split(';')[0]?.replaceAll('%23', '#');
  return number !== undefined && NUMBER.test(number) ? { kind: 'blind', number } : undefined;
}

function headerOf(uri: Uri, name: string): string | undefined {
  for (const key of Object.keys(uri.headers)) if (key.toLowerCase() === name) return uri.headers[key];
  return undefined;
}

/** RFC 3891 §6.1: `callid;to-tag=…;from-tag=…` (early-only is not for a transfer). */
function readReplaces(value: string): ReferTarget | undefined {
  const [callId = '', ...params] = value.split(';');
  let toTag: string | undefined;
  let fromTag: string | undefined;
  for (const param of params) {
    const [name = '', tag = ''] = param.split('=');
    if (name.trim().toLowerCase() === 'to-tag') toTag = tag.trim();
    if (name.trim().toLowerCase() === 'from-tag') fromTag = tag.trim();
  }
  if (callId.trim() === '' || !toTag || !fromTag) return undefined;
  return { kind: 'consultative', callId: callId.trim(), toTag, fromTag };
}

export class ReferHandling {
  private readonly handOffs = new Map<string, TransferHandOff>();

  constructor(private readonly context: LegContext) {}

  handOff(kind: string, handOff: TransferHandOff): void {
    this.handOffs.set(kind, handOff);
  }

  async answer(incoming: IncomingRequest): Promise<void> {
    const { context } = this;
    const leg = incoming.dialog ? context.legs.get(dialogKey(incoming.dialog.id)) : undefined;
    // Transfers are a call's business: a REFER outside one of our calls is not taken (RFC 3515 §2.4.2).
    if (!incoming.dialog) {
      incoming.reply(403);
      return;
    }
    if (!leg) {
      incoming.reply(481);
      return;
    }
    const values = incoming.request.headers.getAll('Refer-To');
    // RFC 3515 §2.4.1: exactly one Refer-To, else 400.
    const target = values.length === 1 ? readReferTo(values[0]) : undefined;
    if (target === undefined) {
      incoming.reply(400, 'Bad Refer-To');
      return;
    }
    const consulted = target.kind === 'consultative' ? this.consultedLeg(target) : undefined;
    if (target.kind === 'consultative' && consulted === undefined) {
      // RFC 3891 §3: the dialog to replace is not one of ours.
      incoming.reply(481, 'Replaced Dialog Does Not Exist');
      return;
    }
    incoming.reply(202);
    let finished!: () => void;
    leg.holdByeUntil(new Promise<void>((resolve) => (finished = resolve)));
    try {
      await this.notify(leg, '100 Trying', false);
      const done =
        target.kind === 'blind'
          ? await this.blind(leg, target.number)
          : consulted !== undefined && (await this.consultativeOrConference(leg, consulted));
      await this.notify(leg, done ? '200 OK' : '503 Service Unavailable', true);
    } finally {
      finished();
    }
  }

  /** The leg of our side of the dialog Replaces names, whichever way round its tags are. */
  private consultedLeg(target: Extract<ReferTarget, { kind: 'consultative' }>): Leg | undefined {
    const { legs } = this.context;
    const { callId, toTag, fromTag } = target;
    return (
      legs.get(dialogKey({ callId, localTag: toTag, remoteTag: fromTag })) ??
      legs.get(dialogKey({ callId, localTag: fromTag, remoteTag: toTag }))
    );
  }

  private async blind(leg: Leg, number: string): Promise<boolean> {
    if (await this.handedOff(leg, number, 'singleStepTransfer')) return true;
    return this.context.core.singleStepTransfer(leg.connectionId, number).ok;
  }

  /**
   * RFC 4579 §5.4: a REFER with Replaces sent to a focus (its dialog's other party is the
   * conference bridge) asks it to bring in the party of the replaced dialog. That party is handed
   * on to the number the phone reached the room on (single step transfer), which releases the
   * phone's leg of that call; the phone stays in the room. Any other is a consultative transfer.
   */
  private async consultativeOrConference(leg: Leg, consulted: Leg): Promise<boolean> {
    const { core } = this.context;
    const focus = otherParty(core, leg.connectionId);
    if (focus?.deviceKind !== CONFERENCE_BRIDGE) return this.consultative(leg, consulted);
    return core.singleStepTransfer(consulted.connectionId, focus.number).ok;
  }

  /**
   * A consultative transfer: the carrier may take it as a blind one to the consulted party's
   * number, without Replaces, as the consultation call is ours and not the carrier's to replace
   * (RFC 5589 §7, transfer with consultation hold: the target is called anew). The consultation
   * call is then cleared here.
   */
  private async consultative(leg: Leg, consulted: Leg): Promise<boolean> {
    const { core } = this.context;
    const target = otherParty(core, consulted.connectionId);
    if (target !== undefined && (await this.handedOff(leg, target.number, 'transfer'))) {
      core.clear(consulted.connectionId, 'transfer');
      return true;
    }
    return core.transfer(leg.connectionId, consulted.connectionId).ok;
  }

  /**
   * Offers the transfer of the other party of `leg`'s call to `number` to that party's own
   * network; when taken, `leg`'s call is cleared here with `cause` and true returned.
   */
  private async handedOff(leg: Leg, number: string, cause: Cause): Promise<boolean> {
    const { core } = this.context;
    const party = otherParty(core, leg.connectionId);
    const partyLeg = party && this.context.legsByConnection.get(party.id);
    const handOff = party && this.handOffs.get(party.deviceKind);
    if (!party || !partyLeg || !handOff) return false;
    const transferring = core.callOf(leg.connectionId)?.connections.find((c) => c.id === leg.connectionId);
    let taken = false;
    try {
      taken = await handOff(partyLeg, party, number, transferring?.number ?? '');
    } catch (error) {
      this.context.logger.warn({ err: error, number }, 'transfer not handed to the carrier');
    }
    // The carrier calls the target itself: the call here is done.
    if (taken) core.clear(leg.connectionId, cause);
    return taken;
  }

  /** RFC 3515 §2.4.4 / RFC 6665: NOTIFY of the implicit subscription, terminated with the last one. */
  private async notify(leg: Leg, status: string, last: boolean): Promise<void> {
    const state = last ? 'terminated;reason=noresource' : `active;expires=${SUBSCRIPTION_SECONDS}`;
    const response = await leg.request('NOTIFY', {
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', state],
      ],
      body: `SIP/2.0 ${status}\r\n`,
      contentType: SIPFRAG,
    });
    if (response !== undefined && response.status >= 300)
      this.context.logger.debug({ status: response.status }, 'transfer NOTIFY refused');
  }
}

/** The other connected party of a connection's call. */
function otherParty(core: CallCore, connectionId: string): ConnectionView | undefined {
  return core
    .callOf(connectionId)
    ?.connections.find(
      (connection) =>
        connection.id !== connectionId && (connection.state === 'connected' || connection.state === 'held'),
    );
}
