/**
 * The digit-analysis configuration a snapshot describes: lines (and their secondary numbers)
 * become directory numbers, the rest maps one to one onto `src/dialplan`'s input.
 */
import type { DialPeerConfig, DialPlanConfig, PartyTransform, RouteTarget } from '../../dialplan/index.js';
import type { ConfigSnapshot, LineSnapshot } from '../config/index.js';

/**
 * A calling search space holding every partition, added for diagnosis only: analysing with it
 * tells whether a number the caller cannot reach exists elsewhere ("unreachable from this CSS").
 * Configured names cannot start with `*`, so it never collides with one.
 */
export const EVERY_PARTITION = '*every-partition';

/** How a directory number names its line: `partition/dn`, the key the management API uses. */
export function lineKey(line: Pick<LineSnapshot, 'partition' | 'dn'>): string {
  return `${line.partition}/${line.dn}`;
}

export function dialPlanConfigOf(snapshot: ConfigSnapshot): DialPlanConfig {
  const partitions = [...snapshot.partitions.keys()];
  return {
    version: snapshot.version,
    partitions,
    callingSearchSpaces: [
      ...[...snapshot.callingSearchSpaces.values()].map(({ name, partitions }) => ({
        name,
        partitions: [...partitions],
      })),
      { name: EVERY_PARTITION, partitions },
    ],
    directoryNumbers: [...snapshot.lines.values()].flatMap((byDn) =>
      [...byDn.values()].flatMap((line) => {
        const entry = { number: line.dn, partition: line.partition, line: lineKey(line) };
        return line.secondaryNumber === null ? [entry] : [entry, { ...entry, number: line.secondaryNumber }];
      }),
    ),
    routePatterns: snapshot.routePatterns.map((route) => ({
      pattern: route.pattern,
      ...defined({
        partition: route.partition,
        called: route.called as PartyTransform | null,
        calling: route.calling as PartyTransform | null,
      }),
      target: routeTarget(route),
    })),
    translationPatterns: snapshot.translationPatterns.map((translation) => ({
      pattern: translation.pattern,
      blocked: translation.blocked,
      ...defined({
        partition: translation.partition,
        css: translation.callingSearchSpace,
        called: translation.called as PartyTransform | null,
        calling: translation.calling as PartyTransform | null,
      }),
    })),
    translationRules: [...snapshot.translationRules.values()].map(({ id, rules }) => ({
      id,
      rules: rules.map(({ precedence, match, replace, reject }) => ({
        precedence,
        match,
        reject,
        ...defined({ replace }),
      })),
    })),
    translationProfiles: [...snapshot.translationProfiles.values()].map((profile) => ({
      name: profile.name,
      ...defined({
        called: profile.called,
        calling: profile.calling,
        redirectTarget: profile.redirectTarget,
        redirectCalled: profile.redirectCalled,
      }),
    })),
    dialPeers: [...snapshot.dialPeers.values()].map((peer): DialPeerConfig => {
      const common: DialPeerConfig = {
        tag: peer.tag,
        kind: peer.kind,
        description: peer.description,
        preference: peer.preference,
        ...defined({
          destinationPattern: peer.destinationPattern,
          incomingCalledNumber: peer.incomingCalledNumber,
          answerAddress: peer.answerAddress,
          translationProfileIncoming: peer.translationProfileIncoming,
          translationProfileOutgoing: peer.translationProfileOutgoing,
        }),
      };
      // IOS accepts digit manipulation under POTS peers only, a session target under VoIP only
      return peer.kind === 'pots'
        ? {
            ...common,
            digitStrip: peer.digitStrip,
            ...defined({ port: peer.port, forwardDigits: peer.forwardDigits, prefix: peer.prefix }),
          }
        : { ...common, ...defined({ sessionTarget: peer.sessionTarget }) };
    }),
  };
}

function routeTarget(route: ConfigSnapshot['routePatterns'][number]): RouteTarget {
  if (route.trunk !== null) return { kind: 'trunk', name: route.trunk };
  if (route.pilot !== null) return { kind: 'pilot', name: route.pilot };
  return route.blockReason ? { kind: 'blocked', reason: route.blockReason } : { kind: 'blocked' };
}

/** The entries of `values` that are set: the library reads an absent key, not a null. */
function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: NonNullable<T[K]> } {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values))
    if (value !== null && value !== undefined) result[key] = value;
  return result as { [K in keyof T]?: NonNullable<T[K]> };
}
