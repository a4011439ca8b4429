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
  }

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
