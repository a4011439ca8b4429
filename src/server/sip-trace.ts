/**
 * The live SIP message trace (IOS `debug ccsip message`), switched on per subscriber and,
 * optionally, per device. Nothing is copied or filtered while nobody watches.
 */
import type { Endpoint, SipMessage } from '../sip/index.js';

export interface TraceEntry {
  /** Epoch milliseconds. */
  at: number;
  direction: 'in' | 'out';
  remote: Endpoint;
  /** The message as on the wire (Latin-1, so every octet survives). */
  text: string;
}

export interface TraceFilter {
  /** Only messages to or from this device (its registered addresses and its lines' numbers). */
  device?: string;
}

/** What a device filter needs to know about the device right now. */
export interface DeviceAddressBook {
  /** Source addresses (`address:port`) the device registered from, and its line numbers. */
  device(name: string): { addresses: ReadonlySet<string>; numbers: ReadonlySet<string> } | undefined;
}

type Listener = (entry: TraceEntry) => void;

export class SipTrace {
  private readonly subscribers = new Map<Listener, TraceFilter>();

  constructor(
    private readonly devices: DeviceAddressBook,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts delivering trace entries to `listener`; returns the function that stops it. */
  subscribe(filter: TraceFilter, listener: Listener): () => void {
    this.subscribers.set(listener, filter);
    return () => {
      this.subscribers.delete(listener);
    };
  }

  get watching(): number {
    return this.subscribers.size;
  }

  /** The transport's message observer calls this for every message in and out. */
  deliver(direction: 'in' | 'out', message: SipMessage, bytes: Buffer, remote: Endpoint): void {
    if (this.subscribers.size === 0) return;
    let entry: TraceEntry | undefined;
    for (const [listener, filter] of this.subscribers) {
      if (filter.device !== undefined && !this.concerns(filter.device, message, remote)) continue;
      entry ??= { at: this.now(), direction, remote, text: bytes.toString('latin1') };
      listener(entry);
    }
  }

  private concerns(device: string, message: SipMessage, remote: Endpoint): boolean {
    const known = this.devices.device(device);
    if (!known) return false;
    if (known.addresses.has(`${remote.address}:${remote.port}`)) return true;
    const fromUser = message.from.uri.user;
    const toUser = message.to.uri.user;
    return (
      (fromUser !== undefined && known.numbers.has(fromUser)) ||
      (toUser !== undefined && known.numbers.has(toUser))
    );
  }
}
