/**
 * A digit trie over compiled pattern tokens, shared by every pattern of one kind. Patterns with a
 * common prefix share nodes, so a lookup walks the dialled number once and only branches where
 * patterns differ, instead of trying every pattern in turn.
 *
 * Closest match (CUCM "the pattern that matches the fewest numbers"; IOS "longest explicit match"):
 * each candidate is weighed by how many numbers of the dialled length it admits along the path it
 * matched, the product of its position weights (`maskWeight`) and `TRAILING_WEIGHT` per digit a
 * prefix pattern leaves unmatched. Lower wins; then fewer open-ended parts; then the lower group rank (a partition's place in
 * the calling search space); then the lower tie-break (dial-peer preference, then configuration
 * order).
 */
import { keyMask, MAX_NUMBER_LENGTH, maskWeight, TRAILING_WEIGHT } from './alphabet.js';
import { isDotToken, type PatternToken } from './pattern-tokens.js';

const KEY_COUNT = 17;

export interface IndexEntry {
  /** Caller's identifier of the pattern owner (an index into its own table). */
  owner: number;
  /** Partition index for CSS filtering; 0 when the index is not partitioned. */
  group: number;
  tieBreak: number;
  /** Must consume the whole number. */
  exact: boolean;
}

/** Where the best match ended; reused between lookups to keep the hot path allocation-free. */
export interface MatchPosition {
  /** Characters consumed before the `.` separator, or -1 when the pattern has none. */
  dotPosition: number;
  /** How many numbers of the dialled length the match admits: lower is closer. */
  weight: number;
  /** Open-ended parts the match used (`!`, `%`, `+`, `T`, an unanchored tail): on equal weight,
   * fewer is closer, because each also admits numbers of other lengths. */
  openEnded: number;
}

interface BuildNode {
  edges: Map<string, { token: PatternToken; child: number }>;
  entries: number[];
}

const TRAILING_POWERS = Float64Array.from({ length: MAX_NUMBER_LENGTH + 1 }, (_, n) => TRAILING_WEIGHT ** n);

// Traversal scratch, shared by every index: lookups are synchronous and never nested.
let stackNode = new Int32Array(256);
let stackPosition = new Int32Array(256);
let stackDot = new Int32Array(256);
let stackWeight = new Float64Array(256);
let stackOpen = new Int32Array(256);
const numberKeys = new Int32Array(MAX_NUMBER_LENGTH);
/** The number `numberKeys` holds: analysis looks the same number up in several indexes. */
let encodedNumber = '';

function encode(number: string): void {
  if (number === encodedNumber) return;
  for (let i = 0; i < number.length; i++) numberKeys[i] = 31 - Math.clz32(keyMask(number.charCodeAt(i)));
  encodedNumber = number;
}

function growStack(): void {
  const size = stackNode.length * 2;
  const grow = <T extends Int32Array | Float64Array>(old: T, fresh: T): T => {
    fresh.set(old);
    return fresh;
  };
  stackNode = grow(stackNode, new Int32Array(size));
  stackPosition = grow(stackPosition, new Int32Array(size));
  stackDot = grow(stackDot, new Int32Array(size));
  stackWeight = grow(stackWeight, new Float64Array(size));
  stackOpen = grow(stackOpen, new Int32Array(size));
}

export class PatternIndexBuilder {
  readonly #nodes: BuildNode[] = [{ edges: new Map(), entries: [] }];
  readonly #entries: IndexEntry[] = [];

  add(tokens: readonly PatternToken[], entry: IndexEntry): void {
    let node = 0;
    for (const token of tokens) {
      const key = `${token.mask}:${token.min}:${token.max}`;
      const edges = this.#nodes[node]!.edges;
      let edge = edges.get(key);
      if (edge === undefined) {
        edge = { token, child: this.#nodes.length };
        this.#nodes.push({ edges: new Map(), entries: [] });
        edges.set(key, edge);
      }
      node = edge.child;
    }
    this.#nodes[node]!.entries.push(this.#entries.length);
    this.#entries.push(entry);
  }

  build(): PatternIndex {
    return new PatternIndex(this.#nodes, this.#entries);
  }
}

/** The frozen, flattened trie. Single-key-per-position edges are bucketed by key, so a step costs
 * one array range per key; repeated positions and the `.` marker are kept in a short side list. */
export class PatternIndex {
  readonly size: number;
  readonly #entryOwner: Int32Array;
  readonly #entryGroup: Int32Array;
  readonly #entryTie: Float64Array;
  readonly #entryExact: Uint8Array;
  readonly #entryStart: Int32Array;
  readonly #entryList: Int32Array;
  /** Per (node, key): range in #stepChild of children reached by consuming that key. */
  readonly #stepStart: Int32Array;
  readonly #stepChild: Int32Array;
  readonly #stepWeight: Float64Array;
  /** Per node: range of repeat / dot edges. */
  readonly #repeatStart: Int32Array;
  readonly #repeatMask: Int32Array;
  readonly #repeatMin: Int32Array;
  readonly #repeatMax: Int32Array;
  readonly #repeatChild: Int32Array;
  readonly #repeatWeight: Float64Array;

  constructor(nodes: readonly BuildNode[], entries: readonly IndexEntry[]) {
    this.size = entries.length;
    this.#entryOwner = Int32Array.from(entries, (e) => e.owner);
    this.#entryGroup = Int32Array.from(entries, (e) => e.group);
    this.#entryTie = Float64Array.from(entries, (e) => e.tieBreak);
    this.#entryExact = Uint8Array.from(entries, (e) => (e.exact ? 1 : 0));

    this.#entryStart = new Int32Array(nodes.length + 1);
    const entryList: number[] = [];
    this.#stepStart = new Int32Array(nodes.length * KEY_COUNT + 1);
    const stepChild: number[] = [];
    const stepWeight: number[] = [];
    this.#repeatStart = new Int32Array(nodes.length + 1);
    const repeats: PatternToken[] = [];
    const repeatChild: number[] = [];
    const singles: { token: PatternToken; child: number }[] = [];

    nodes.forEach((node, n) => {
      this.#entryStart[n] = entryList.length;
      for (const entry of node.entries) entryList.push(entry);
      this.#repeatStart[n] = repeats.length;
      singles.length = 0;
      for (const edge of node.edges.values()) {
        if (edge.token.min === 1 && edge.token.max === 1) {
          singles.push(edge);
        } else {
          repeats.push(edge.token);
          repeatChild.push(edge.child);
        }
      }
      for (let k = 0; k < KEY_COUNT; k++) {
        this.#stepStart[n * KEY_COUNT + k] = stepChild.length;
        for (const { token, child } of singles) {
          if ((token.mask & (1 << k)) === 0) continue;
          stepChild.push(child);
          stepWeight.push(maskWeight(token.mask));
        }
      }
    });
    this.#entryStart[nodes.length] = entryList.length;
    this.#stepStart[nodes.length * KEY_COUNT] = stepChild.length;
    this.#repeatStart[nodes.length] = repeats.length;
    this.#entryList = Int32Array.from(entryList);
    this.#stepChild = Int32Array.from(stepChild);
    this.#stepWeight = Float64Array.from(stepWeight);
    this.#repeatMask = Int32Array.from(repeats, (t) => t.mask);
    this.#repeatMin = Int32Array.from(repeats, (t) => t.min);
    this.#repeatMax = Int32Array.from(repeats, (t) => t.max);
    this.#repeatChild = Int32Array.from(repeatChild);
    this.#repeatWeight = Float64Array.from(repeats, (t) => (isDotToken(t) ? 1 : maskWeight(t.mask)));
  }

  /**
   * Best entry for `number`, or -1. `groupRank[group]` is the entry's rank (lower wins), or -1 to
   * ignore the entry; null ranks every entry 0. The number must be dialable (`isDialable`).
   */
  lookup(number: string, groupRank: Int32Array | null, position: MatchPosition): number {
    const length = number.length;
    encode(number);
    let best = -1;
    let bestWeight = Number.POSITIVE_INFINITY;
    let bestOpen = 0;
    let bestRank = 0;
    let bestTie = 0;
    let top = 0;
    stackNode[0] = 0;
    stackPosition[0] = 0;
    stackDot[0] = -1;
    stackWeight[0] = 1;
    stackOpen[0] = 0;
    top = 1;
    while (top > 0) {
      top--;
      const node = stackNode[top]!;
      const at = stackPosition[top]!;
      const dot = stackDot[top]!;
      const weight = stackWeight[top]!;
      const open = stackOpen[top]!;
      if (weight > bestWeight) continue; // nothing below can be closer

      for (let e = this.#entryStart[node]!, end = this.#entryStart[node + 1]!; e < end; e++) {
        const entry = this.#entryList[e]!;
        if (at !== length && this.#entryExact[entry] === 1) continue;
        const rank = groupRank === null ? 0 : groupRank[this.#entryGroup[entry]!]!;
        if (rank < 0) continue;
        const total = weight * TRAILING_POWERS[length - at]!;
        const openEnded = at === length ? open : open + 1;
        const tie = this.#entryTie[entry]!;
        if (
          total < bestWeight ||
          (total === bestWeight &&
            (openEnded < bestOpen ||
              (openEnded === bestOpen && (rank < bestRank || (rank === bestRank && tie < bestTie)))))
        ) {
          best = entry;
          bestWeight = total;
          bestOpen = openEnded;
          bestRank = rank;
          bestTie = tie;
          position.dotPosition = dot;
          position.weight = total;
          position.openEnded = openEnded;
        }
      }

      if (at < length) {
        const slot = node * KEY_COUNT + numberKeys[at]!;
        for (let s = this.#stepStart[slot]!, end = this.#stepStart[slot + 1]!; s < end; s++) {
          if (top === stackNode.length) growStack();
          stackNode[top] = this.#stepChild[s]!;
          stackPosition[top] = at + 1;
          stackDot[top] = dot;
          stackWeight[top] = weight * this.#stepWeight[s]!;
          stackOpen[top] = open;
          top++;
        }
      }

      for (let r = this.#repeatStart[node]!, end = this.#repeatStart[node + 1]!; r < end; r++) {
        const mask = this.#repeatMask[r]!;
        const max = this.#repeatMax[r]!;
        const stepWeight = this.#repeatWeight[r]!;
        const child = this.#repeatChild[r]!;
        if (max === 0) {
          // the `.` separator: consumes nothing, remembers where the access code ended
          if (top === stackNode.length) growStack();
          stackNode[top] = child;
          stackPosition[top] = at;
          stackDot[top] = at;
          stackWeight[top] = weight;
          stackOpen[top] = open;
          top++;
          continue;
        }
        const min = this.#repeatMin[r]!;
        const runOpen = max === MAX_NUMBER_LENGTH ? open + 1 : open;
        let runWeight = weight;
        for (let count = 0; count <= max && at + count <= length; count++) {
          if (count >= min) {
            if (top === stackNode.length) growStack();
            stackNode[top] = child;
            stackPosition[top] = at + count;
            stackDot[top] = dot;
            stackWeight[top] = runWeight;
            stackOpen[top] = runOpen;
            top++;
          }
          if (at + count === length || (mask & (1 << numberKeys[at + count]!)) === 0) break;
          runWeight *= stepWeight;
        }
      }
    }
    return best === -1 ? -1 : this.#entryOwner[best]!;
  }
}
