/**
 * References of the dial plan objects across the file and the store: a section the file leaves
 * out keeps the store's objects, so a dial-peer in the store may still use a trunk the file
 * removes. Checked before anything is written, so that the administrator reads which object
 * refers to which instead of a foreign key violation.
 */
import type { ConfigRows } from '../../store/index.js';
import type { Configuration } from './configuration.js';

interface Reference {
  readonly from: string;
  readonly to: string;
  readonly name: string | number | null;
  readonly defined: ReadonlySet<string | number>;
}

export function checkDialPlanReferences(current: ConfigRows, desired: Configuration, errors: string[]): void {
  const stored = current.dialPlan;
  const names = <T>(items: readonly T[], nameOf: (item: T) => string | number) => new Set(items.map(nameOf));
  const partitions = names(desired.partitions ?? current.partitions, (p) => p.name);
  const spaces = names(desired.callingSearchSpaces ?? current.callingSearchSpaces, (c) => c.name);
  const ruleSets = names(desired.translationRules ?? stored?.translationRuleSets ?? [], (s) => s.id);
  const profiles = desired.translationProfiles ?? stored?.translationProfiles ?? [];
  const trunks: readonly { name: string; callingSearchSpace: string | null }[] =
    desired.trunks ?? stored?.trunks ?? [];
  const pilots = names(desired.pilots ?? stored?.pilots ?? [], (p) => p.name);
  const profileNames = names(profiles, (p) => p.name);
  const trunkNames = names(trunks, (t) => t.name);

  const references: Reference[] = [];
  for (const profile of profiles) {
    for (const field of ['called', 'calling', 'redirectTarget', 'redirectCalled'] as const) {
      const from = `translation profile ${profile.name}`;
      references.push({ from, to: 'translation rule', name: profile[field], defined: ruleSets });
    }
  }
  for (const trunk of trunks) {
    references.push({
      from: `trunk ${trunk.name}`,
      to: 'calling search space',
      name: trunk.callingSearchSpace,
      defined: spaces,
    });
  }
  for (const peer of desired.dialPeers ?? stored?.dialPeers ?? []) {
    const from = `dial-peer ${peer.tag}`;
    references.push({ from, to: 'trunk', name: peer.trunk, defined: trunkNames });
    for (const name of [peer.translationProfileIncoming, peer.translationProfileOutgoing])
      references.push({ from, to: 'translation profile', name, defined: profileNames });
  }
  for (const route of desired.routePatterns ?? stored?.routePatterns ?? []) {
    const from = `route pattern ${route.pattern}`;
    references.push({ from, to: 'partition', name: route.partition, defined: partitions });
    references.push({ from, to: 'trunk', name: route.trunk, defined: trunkNames });
    references.push({ from, to: 'pilot', name: route.pilot, defined: pilots });
  }
  for (const translation of desired.translationPatterns ?? stored?.translationPatterns ?? []) {
    const from = `translation pattern ${translation.pattern}`;
    references.push({ from, to: 'partition', name: translation.partition, defined: partitions });
    references.push({
      from,
      to: 'calling search space',
      name: translation.callingSearchSpace,
      defined: spaces,
    });
  }
  for (const { from, to, name, defined } of references) {
    if (name !== null && !defined.has(name))
      errors.push(`${from} refers to ${to} ${name}, which is not defined`);
  }
}
