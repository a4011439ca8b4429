/**
 * Checks a decoded file as a whole: duplicates and references between objects. A reference is
 * checked here when the section it points into is in the file; otherwise the store checks it on
 * apply (its foreign keys), because that section is not the file's to describe.
 */
import type { RawFile } from './file-schema.js';
import type { DecodeContext } from './yaml-decoder.js';

type Item<K extends keyof RawFile> = NonNullable<RawFile[K]> extends readonly (infer T)[] ? T : never;

export function checkReferences(file: RawFile, context: DecodeContext): void {
  const partitions = uniqueBy(file.partitions, (p) => p.name, 'name', 'partition', context);
  const callingSearchSpaces = uniqueBy(
    file.callingSearchSpaces,
    (c) => c.name,
    'name',
    'calling search space',
    context,
  );
  const devicePools = uniqueBy(file.devicePools, (d) => d.name, 'name', 'device pool', context);
  const users = uniqueBy(file.users, (u) => u.userid, 'userid', 'user', context);
  const lines = uniqueBy(
    file.lines,
    (l) => `${l.partition}/${l.dn}`,
    'dn',
    'line',
    context,
    (l) => `DN ${l.dn} in partition ${l.partition}`,
  );
  uniqueBy(file.phones, (p) => p.name, 'name', 'phone', context);
  uniqueBy(
    file.phones?.filter((p) => p.sip !== undefined),
    (p) => p.sip!.username,
    'sip',
    'SIP username',
    context,
    (p) => `SIP username ${p.sip!.username}`,
  );

  const expires = file.registrar?.expires;
  if (expires && expires.min > expires.max)
    context.errorOn(expires, 'min', `min ${expires.min} is above max ${expires.max}`);
  else if (
    expires?.default !== undefined &&
    (expires.default < expires.min || expires.default > expires.max)
  ) {
    context.errorOn(
      expires,
      'default',
      `default ${expires.default} is outside min ${expires.min}–max ${expires.max}`,
    );
  }

  for (const css of file.callingSearchSpaces ?? []) {
    const seen = new Set<string>();
    css.partitions.forEach((member, index) => {
      if (seen.has(member))
        context.errorOnItem(css, 'partitions', index, `partition ${member} is listed twice`);
      else if (partitions && !partitions.has(member)) {
        context.errorOnItem(css, 'partitions', index, `partition ${member} is not defined`);
      }
      seen.add(member);
    });
  }

  for (const line of file.lines ?? []) {
    if (partitions && !partitions.has(line.partition)) {
      context.errorOn(line, 'partition', `partition ${line.partition} is not defined`);
    }
    checkLine(line, context);
  }
  checkSecondaryNumbers(file.lines ?? [], context);

  const partitionsByDn = new Map<string, Set<string>>();
  for (const line of file.lines ?? []) {
    const set = partitionsByDn.get(line.dn) ?? new Set();
    partitionsByDn.set(line.dn, set.add(line.partition));
  }

  for (const phone of file.phones ?? []) {
    if (devicePools && phone.devicePool !== undefined && !devicePools.has(phone.devicePool)) {
      context.errorOn(phone, 'devicePool', `device pool ${phone.devicePool} is not defined`);
    }
    if (
      callingSearchSpaces &&
      phone.callingSearchSpace !== undefined &&
      !callingSearchSpaces.has(phone.callingSearchSpace)
    ) {
      context.errorOn(
        phone,
        'callingSearchSpace',
        `calling search space ${phone.callingSearchSpace} is not defined`,
      );
    }
    if (users && phone.owner !== undefined && !users.has(phone.owner)) {
      context.errorOn(phone, 'owner', `user ${phone.owner} is not defined`);
    }
    if (phone.protocol === 'sccp' && phone.sip !== undefined) {
      context.errorOn(phone, 'sip', 'an SCCP phone has no SIP credentials');
    }
    checkAppearances(phone, lines ? partitionsByDn : undefined, context);
  }

  checkDialPlan(file, { partitions, callingSearchSpaces }, context);
}

function checkLine(line: Item<'lines'>, context: DecodeContext): void {
  if (line.dn.includes('X') && line.mwiControl === undefined) {
    context.errorOn(line, 'dn', 'only an MWI control DN (mwiControl: on or off) may hold X wildcards');
  }
  const forward = line.forward;
  for (const key of ['all', 'busy', 'noAnswer'] as const) {
    const target = forward?.[key];
    if (target !== undefined && (target === line.dn || target === line.secondary))
      context.errorOn(forward!, key, `line ${line.dn} forwards to itself`);
  }
  if (line.secondary !== undefined && line.secondary === line.dn)
    context.errorOn(line, 'secondary', 'the secondary number repeats the DN');
}

/** A secondary number rings its line like a DN: it must be unique among the partition's numbers. */
function checkSecondaryNumbers(lines: readonly Item<'lines'>[], context: DecodeContext): void {
  const numbers = new Set(lines.map((line) => `${line.partition}/${line.dn}`));
  const secondaries = new Set<string>();
  for (const line of lines) {
    if (line.secondary === undefined) continue;
    const key = `${line.partition}/${line.secondary}`;
    if (numbers.has(key) || secondaries.has(key)) {
      context.errorOn(
        line,
        'secondary',
        `number ${line.secondary} is already used in partition ${line.partition}`,
      );
    }
    secondaries.add(key);
  }
}

interface KnownNames {
  readonly partitions: Set<string> | undefined;
  readonly callingSearchSpaces: Set<string> | undefined;
}

/** Duplicates and references of the dial plan and trunk sections. */
function checkDialPlan(file: RawFile, known: KnownNames, context: DecodeContext): void {
  const ruleSets = uniqueBy(
    file.translationRules,
    (set) => String(set.id),
    'id',
    'voice translation-rule',
    context,
  );
  for (const set of file.translationRules ?? []) {
    uniqueBy(set.rules, (rule) => String(rule.precedence), 'precedence', 'rule', context);
  }
  const profiles = uniqueBy(
    file.translationProfiles,
    (profile) => profile.name,
    'name',
    'voice translation-profile',
    context,
  );
  for (const profile of file.translationProfiles ?? []) {
    for (const key of ['called', 'calling', 'redirectTarget', 'redirectCalled'] as const) {
      const id = profile[key];
      if (ruleSets && id !== undefined && !ruleSets.has(String(id)))
        context.errorOn(profile, key, `voice translation-rule ${id} is not defined`);
    }
  }
  const trunks = uniqueBy(file.trunks, (trunk) => trunk.name, 'name', 'trunk', context);
  for (const trunk of file.trunks ?? []) {
    checkMember(trunk, 'callingSearchSpace', known.callingSearchSpaces, 'calling search space', context);
    uniqueBy(trunk.numbers, (entry) => entry.number, 'number', 'number', context);
  }
  const pilots = uniqueBy(file.pilots, (pilot) => pilot.name, 'name', 'pilot', context);

  uniqueBy(file.dialPeers, (peer) => String(peer.tag), 'tag', 'dial-peer', context);
  for (const peer of file.dialPeers ?? []) {
    const profile = peer.translationProfile;
    if (profile) {
      checkMember(profile, 'incoming', profiles, 'voice translation-profile', context);
      checkMember(profile, 'outgoing', profiles, 'voice translation-profile', context);
    }
    checkMember(peer, 'trunk', trunks, 'trunk', context);
    if (
      peer.trunk !== undefined &&
      peer.sessionTarget !== undefined &&
      !/^(sip-server|registrar)$/.test(peer.sessionTarget)
    )
      context.errorOn(peer, 'sessionTarget', 'a dial-peer on a trunk targets its sip-server or registrar');
    if (peer.kind === 'pots' && peer.trunk !== undefined)
      context.errorOn(peer, 'trunk', 'a POTS dial-peer has a voice port, not a SIP trunk');
    if (
      peer.trunk === undefined &&
      (peer.sessionTarget === 'sip-server' || peer.sessionTarget === 'registrar') &&
      trunks !== undefined &&
      trunks.size !== 1
    ) {
      context.errorOn(
        peer,
        'sessionTarget',
        `${trunks.size === 0 ? 'no trunk is defined' : 'name the trunk'} (trunk:)`,
      );
    }
  }

  const patternKey = (entry: { pattern: string; partition?: string }) =>
    `${entry.partition ?? ''}/${entry.pattern}`;
  const where = (entry: { pattern: string; partition?: string }) =>
    `${entry.pattern}${entry.partition === undefined ? '' : ` in partition ${entry.partition}`}`;
  uniqueBy(
    file.routePatterns,
    patternKey,
    'pattern',
    'route pattern',
    context,
    (r) => `route pattern ${where(r)}`,
  );
  for (const route of file.routePatterns ?? []) {
    checkMember(route, 'partition', known.partitions, 'partition', context);
    checkMember(route, 'trunk', trunks, 'trunk', context);
    checkMember(route, 'pilot', pilots, 'pilot', context);
    const targets = [route.trunk, route.pilot, route.blocked ? true : undefined].filter(
      (t) => t !== undefined,
    );
    if (targets.length !== 1)
      context.errorOn(route, undefined, 'a route pattern needs exactly one of trunk, pilot or blocked: true');
    if (route.reason !== undefined && !route.blocked)
      context.errorOn(route, 'reason', 'a reason is given only with blocked: true');
  }
  uniqueBy(
    file.translationPatterns,
    patternKey,
    'pattern',
    'translation pattern',
    context,
    (t) => `translation pattern ${where(t)}`,
  );
  for (const translation of file.translationPatterns ?? []) {
    checkMember(translation, 'partition', known.partitions, 'partition', context);
    checkMember(
      translation,
      'callingSearchSpace',
      known.callingSearchSpaces,
      'calling search space',
      context,
    );
  }
}

/** Reports `object[key]` when it names something the file's section does not define. */
function checkMember<T extends object, K extends keyof T & string>(
  object: T,
  key: K,
  defined: Set<string> | undefined,
  noun: string,
  context: DecodeContext,
): void {
  const value = object[key];
  if (defined && typeof value === 'string' && !defined.has(value))
    context.errorOn(object, key, `${noun} ${value} is not defined`);
}

function checkAppearances(
  phone: Item<'phones'>,
  partitionsByDn: Map<string, Set<string>> | undefined,
  context: DecodeContext,
): void {
  const buttons = new Set<number>();
  const shown = new Set<string>();
  phone.lines.forEach((appearance, index) => {
    const button = appearance.button ?? index + 1;
    if (buttons.has(button)) context.errorOn(appearance, 'button', `button ${button} is used twice`);
    buttons.add(button);
    if (!partitionsByDn) return;
    const candidates = [...(partitionsByDn.get(appearance.dn) ?? [])];
    const partition = appearance.partition;
    if (partition !== undefined ? !candidates.includes(partition) : candidates.length === 0) {
      const where = partition === undefined ? '' : ` in partition ${partition}`;
      context.errorOn(appearance, 'dn', `line ${appearance.dn}${where} is not defined`);
      return;
    }
    if (partition === undefined && candidates.length > 1) {
      context.errorOn(
        appearance,
        'dn',
        `line ${appearance.dn} is in partitions ${candidates.join(', ')}: name one`,
      );
      return;
    }
    const key = `${partition ?? candidates[0]}/${appearance.dn}`;
    if (shown.has(key))
      context.errorOn(appearance, 'dn', `line ${appearance.dn} appears twice on this phone`);
    shown.add(key);
  });
}

/**
 * Reports every object whose key was already used, pointing back at the first definition, and
 * returns the set of keys; undefined when the section is not in the file.
 */
function uniqueBy<T extends object>(
  items: readonly T[] | undefined,
  keyOf: (item: T) => string,
  field: string,
  noun: string,
  context: DecodeContext,
  label: (item: T) => string = (item) => `${noun} ${keyOf(item)}`,
): Set<string> | undefined {
  if (!items) return undefined;
  const first = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const previous = first.get(key);
    if (previous)
      context.errorOn(
        item,
        field,
        `duplicate ${label(item)} (first defined at ${context.describePosition(previous)})`,
      );
    else first.set(key, item);
  }
  return new Set(first.keys());
}
