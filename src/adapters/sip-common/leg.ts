/**
 * What every call leg of the B2BUA shares, whatever the far end (a phone, a carrier): the
 * dialog with it, the core connection it stands for, and the in-dialog requests sent on it.
 */
import type {
  CallCore,
  Cause,
  MediaDescription,
  SessionUpdate,
  SessionUpdateResult,
} from '../../core/index.js';
import {
  type Clock,
  type Dialog,
  dialogKey,
  type Endpoint,
  type InDialogRequestOptions,
  type ReplyOptions,
  type SipLogger,
  type SipResponse,
  type SipStack,
  type TransportProtocol,
} from '../../sip/index.js';
import type { CallMedia, LegMedia } from './call-media.js';
import { reasonForCause } from './causes.js';
import { bodyOf, mediaOf } from './media.js';

export interface LegContext {
  readonly stack: SipStack;
  readonly core: CallCore;
  readonly clock: Clock;
  readonly logger: SipLogger;
  /** Confirmed legs by dialog, for the in-dialog requests the far ends send. */
  readonly legs: Map<string, Leg>;
  /** The same legs by core connection, for a transfer that acts on the other party's leg. */
  readonly legsByConnection: Map<string, Leg>;
  /**
   * Call-IDs of our INVITEs still in progress: one of them arriving back as a new INVITE is a
   * loop (RFC 3261 §8.2.2.2 in spirit: the same request reached us twice).
   */
  readonly outgoingCallIds: Set<string>;
  /** Where calls' media are anchored; undefined passes session descriptions through. */
  readonly media: CallMedia | undefined;
}

export abstract class Leg {
  /** The core connection of this leg's device. */
  connectionId = '';
  dialog: Dialog | undefined;
  /** The session description we last sent the far end, answered again on a refresh without a body. */
  sentMedia: MediaDescription | undefined;
  /** The far end's latest session description (its offer or answer). */
  receivedMedia: MediaDescription | undefined;
  /** The early answer (183) this leg was sent through the media anchor, and which party gave it. */
  earlyAnswer: { readonly from: string; readonly anchored: Promise<LegMedia> } | undefined;
  /** The called party's answer on its way through the media anchor to this (calling) leg. */
  answering: Promise<void> | undefined;
  /**
   * A transfer in progress reports to the far end by NOTIFY (RFC 3515 §2.4.4) before this leg
   * may be hung up: the BYE waits for it.
   */
  private byeAfter: Promise<void> | undefined;

  constructor(protected readonly context: LegContext) {}

  /**
   * Where in-dialog requests go: a phone's registered flow (RFC 5626 §5.3, behind NAT), or
   * undefined to follow the dialog's route set and remote target (RFC 3261 §12.2.1.1).
   */
  abstract get target(): Endpoint | undefined;

  /** The transport our Contact names. */
  abstract get protocol(): TransportProtocol;

  protected confirm(dialog: Dialog): void {
    this.dialog = dialog;
    this.context.legs.set(dialogKey(dialog.id), this);
    this.context.legsByConnection.set(this.connectionId, this);
  }

  /** Forgets the dialog (after a BYE either way). */
  protected forget(): void {
    if (this.dialog) this.context.legs.delete(dialogKey(this.dialog.id));
    if (this.context.legsByConnection.get(this.connectionId) === this)
      this.context.legsByConnection.delete(this.connectionId);
  }

  get confirmed(): boolean {
    return this.dialog?.state === 'confirmed';
  }

  /** Holds any BYE on this leg until `done` settles (a transfer's last NOTIFY has gone). */
  holdByeUntil(done: Promise<unknown>): void {
    this.byeAfter = done.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Sends a request in this leg's dialog over its flow; a leg without a dialog gets a 481 back. */
  request(method: string, options: InDialogRequestOptions = {}): Promise<SipResponse | undefined> {
    const dialog = this.dialog;
    if (dialog === undefined) return Promise.resolve(undefined);
    return this.context.stack.requestInDialog(dialog, method, { ...options, ...this.requestOptions() });
  }

  /** The far end hung up (its BYE was answered). */
  hungUp(): void {
    this.forget();
  }

  /** The 2xx to a re-INVITE, UPDATE or INFO from the far end. */
  replyOptions(media: MediaDescription | undefined, headers: [string, string][]): ReplyOptions {
    return { ...bodyOf(media), headers, contact: this.context.stack.contact(this.protocol) };
  }

  private requestOptions() {
    const target = this.target;
    return target === undefined ? {} : { target };
  }

  /**
   * Hangs up on the far end, once a transfer's NOTIFY in progress has gone; with an RFC 3326
   * Reason when `cause` is more than a hang-up.
   */
  protected bye(dialog: Dialog, cause?: Cause): void {
    const reason = cause === undefined ? undefined : reasonForCause(cause);
    const headers: [string, string][] = reason === undefined ? [] : [['Reason', reason]];
    const options = { ...this.requestOptions(), headers };
    const send = () => this.context.stack.requestInDialog(dialog, 'BYE', options);
    (this.byeAfter === undefined ? send() : this.byeAfter.then(send)).catch((error: unknown) => {
      this.context.logger.warn({ err: error, callId: dialog.id.callId }, 'BYE could not be sent');
    });
  }

  /**
   * Relays a session update from the other party as a re-INVITE or INFO in this dialog and
   * turns the far end's answer into the result (RFC 3261 §14.1 for re-INVITE, RFC 6086 for INFO).
   */
  async update(update: SessionUpdate): Promise<SessionUpdateResult> {
    const dialog = this.dialog;
    if (dialog?.state !== 'confirmed') return { ok: false, failure: 'noPeer' };
    const { stack } = this.context;
    if (update.kind === 'info') {
      const response = await stack.requestInDialog(dialog, 'INFO', {
        ...bodyOf(update.content),
        ...this.requestOptions(),
      });
      return updateResult(response.status, undefined);
    }
    // The stack ACKs the 2xx (RFC 3261 §13.2.2.4), to the same place as the re-INVITE.
    const response = await stack.requestInDialog(dialog, 'INVITE', {
      ...bodyOf(update.media),
      ...this.requestOptions(),
    });
    const answer = mediaOf(response);
    if (response.status >= 200 && response.status < 300) {
      this.sentMedia = update.media;
      if (answer) this.receivedMedia = answer;
    }
    return updateResult(response.status, answer);
  }
}

function updateResult(status: number, media: MediaDescription | undefined): SessionUpdateResult {
  if (status >= 200 && status < 300) return media === undefined ? { ok: true } : { ok: true, media };
  // RFC 3261 §14.1: 491 when the far end has an update of its own in progress.
  if (status === 491) return { ok: false, failure: 'pending' };
  if (status === 408) return { ok: false, failure: 'timeout' };
  if (status === 481) return { ok: false, failure: 'noPeer' };
  return { ok: false, failure: 'rejected' };
}
