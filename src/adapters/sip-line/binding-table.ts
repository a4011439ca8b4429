/**
 * The bindings in memory, by DN, partition and contact, each with its own expiry timer on the
 * injected clock. Reads are synchronous so that call routing never waits on the store.
 */
import type { Clock, TimerHandle } from '../../sip/index.js';
import type { Binding, LineRef } from './binding.js';

interface Entry {
  readonly binding: Binding;
  readonly timer: TimerHandle;
}

type ContactMap = Map<string, Entry>;

export class BindingTable {
  /** DN → partition → contact key → entry. */
  private readonly byDn = new Map<string, Map<string, ContactMap>>();
  private count = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (binding: Binding) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  get(line: LineRef, contactKey: string): Binding | undefined {
    return this.contacts(line)?.get(contactKey)?.binding;
  }

  /** The bindings of one line, in registration order. */
  forLine(line: LineRef): Binding[] {
    const contacts = this.contacts(line);
    return contacts === undefined ? [] : [...contacts.values()].map((entry) => entry.binding);
  }

  /** The bindings of a DN in every partition. */
  forDn(dn: string): Binding[] {
    const partitions = this.byDn.get(dn);
    if (partitions === undefined) return [];
    const bindings: Binding[] = [];
    for (const contacts of partitions.values())
      for (const entry of contacts.values()) bindings.push(entry.binding);
    return bindings;
  }

  *all(): IterableIterator<Binding> {
    for (const partitions of this.byDn.values())
      for (const contacts of partitions.values()) for (const entry of contacts.values()) yield entry.binding;
  }

  /** Adds or replaces the binding with the same line and contact key, and arms its expiry. */
  set(binding: Binding): void {
    const { dn, partition } = binding.line;
    let partitions = this.byDn.get(dn);
    if (partitions === undefined) {
      partitions = new Map();
      this.byDn.set(dn, partitions);
    }
    let contacts = partitions.get(partition);
    if (contacts === undefined) {
      contacts = new Map();
      partitions.set(partition, contacts);
    }
    const previous = contacts.get(binding.contactKey);
    if (previous === undefined) this.count++;
    else this.clock.clearTimeout(previous.timer);
    const delay = Math.max(0, binding.expiresAt - this.clock.now());
    const timer = this.clock.setTimeout(() => this.onExpire(binding), delay);
    contacts.set(binding.contactKey, { binding, timer });
  }

  /** Removes exactly this binding (not a newer one for the same contact); true when it was there. */
  remove(binding: Binding): boolean {
    const { dn, partition } = binding.line;
    const partitions = this.byDn.get(dn);
    const contacts = partitions?.get(partition);
    const entry = contacts?.get(binding.contactKey);
    if (entry === undefined || entry.binding !== binding || !contacts || !partitions) return false;
    this.clock.clearTimeout(entry.timer);
    contacts.delete(binding.contactKey);
    this.count--;
    if (contacts.size === 0) partitions.delete(partition);
    if (partitions.size === 0) this.byDn.delete(dn);
    return true;
  }

  /** Disarms every timer and forgets every binding. */
  clear(): void {
    for (const partitions of this.byDn.values())
      for (const contacts of partitions.values())
        for (const entry of contacts.values()) this.clock.clearTimeout(entry.timer);
    this.byDn.clear();
    this.count = 0;
  }

  private contacts(line: LineRef): ContactMap | undefined {
    return this.byDn.get(line.dn)?.get(line.partition);
  }
}
