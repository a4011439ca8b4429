/** Splitting a received header block into fields (RFC 3261 §7.3), before any value is interpreted. */
import { isUtf8 } from 'node:buffer';
import { allIn, isSpace, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import {
  FIELD_COUNT,
  FIELD_OTHER,
  FIELD_VIA,
  fieldOfKey,
  keyByLowerCase,
  knownFieldAt,
  knownFieldBeforeColon,
  knownSpellingKey,
} from './header-names.js';
import type { SipParseError } from './types.js';

/**
 * The fields of one header block. A value that lies in the header block as it is (neither
 * folded nor decoded) is not sliced: `values[i]` is undefined (`values` may be shorter than
 * `names`) and head[ranges[2i], ranges[2i + 1]) is the value. The other values are strings,
 * their range start -1. The arrays are new for every block and handed over to the message's
 * HeaderFields.
 */
export interface HeaderBlock {
  names: string[];
  values: Array<string | undefined>;
  keys: string[];
  ranges: number[];
  /** Whether some line ended with a bare LF. */
  bareLf: boolean;
  /** Index of the first field of each field number (see FIELD_VIA…), or -1. */
  first: Int32Array;
  /** The field number of the first single-valued field seen twice, or FIELD_OTHER. */
  repeated: number;
}

/** The block `splitHeaderBlock` last split (splitting is synchronous, so one record serves every call). */
export const block: HeaderBlock = {
  names: [],
  values: [],
  keys: [],
  ranges: [],
  bareLf: false,
  first: new Int32Array(FIELD_COUNT),
  repeated: FIELD_OTHER,
};

/**
 * Scratch lists the fields are collected in before they are copied into arrays of the exact
 * size: growing a fresh array push by push costs several allocations per message.
 */
const scratchNames: string[] = [];
const scratchKeys: string[] = [];
const scratchRanges: number[] = [];
/** Above this many fields the scratch lists are emptied after use, so one huge block does not stay referenced. */
const SCRATCH_KEPT = 256;

/**
 * Splits the header lines of head[pos, headEnd) into `block`: unfolds continuation lines
 * (RFC 3261 §7.3.1), allows SP/HTAB before the colon (HCOLON), trims values. `head` is
 * data[headStart, ..) read as Latin-1, so that names are recognised in the octets. A name spelt
 * a known way is a token by construction, so only other names are checked character by
 * character. Returns the failure, or undefined when `block` holds the fields.
 */
export function splitHeaderBlock(
  data: Uint8Array,
  headStart: number,
  head: string,
  pos: number,
  headEnd: number,
  hasHighBytes: boolean,
): SipParseError | undefined {
  const names = scratchNames;
  const keys = scratchKeys;
  const ranges = scratchRanges;
  // Only folded (and decoded) values are strings; the others stay unread in the block.
  let values: Array<string | undefined> | undefined;
  let count = 0;
  const first = block.first;
  for (let field = 0; field < FIELD_COUNT; field++) first[field] = -1;
  let repeated = FIELD_OTHER;
  let bareLf = false;
  let failure: SipParseError | undefined;
  const length = headEnd;
  while (pos < length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0 || nl > length) nl = length;
    let end = nl;
    if (end > pos && data[headStart + end - 1] === 0x0d) end--;
    else if (nl < length) bareLf = true;
    if (isSpace(data[headStart + pos]!)) {
      const last = count - 1;
      if (last < 0) {
        failure = {
          rule: 'message-header',
          message: 'continuation line before the first header field',
          offset: pos,
        };
        break;
      }
      const pieceStart = skipSpace(head, pos, end);
      if (pieceStart < end) {
        const piece = head.slice(pieceStart, skipSpaceBack(head, end, pieceStart));
        values ??= [];
        const value = values[last] ?? head.slice(ranges[2 * last], ranges[2 * last + 1]);
        values[last] = value.length === 0 ? piece : `${value} ${piece}`;
        ranges[2 * last] = -1;
      }
    } else {
      // A name spelt a known way and followed by its colon is recognised without a colon search.
      let field: number;
      let colon: number;
      const spelt = knownFieldBeforeColon(data, headStart + pos, headStart + end);
      if (spelt !== undefined) {
        names[count] = spelt.name;
        keys[count] = spelt.key;
        field = spelt.field;
        colon = pos + spelt.name.length;
      } else {
        colon = head.indexOf(':', pos);
        const nameEnd = colon < 0 || colon >= end ? pos : skipSpaceBack(head, colon, pos);
        if (nameEnd === pos) {
          failure = headerLineFailure(head, pos, end);
          break;
        }
        const known = knownFieldAt(data, headStart + pos, headStart + nameEnd);
        if (known !== undefined) {
          names[count] = known.name;
          keys[count] = known.key;
          field = known.field;
        } else {
          const name = head.slice(pos, nameEnd);
          let key = knownSpellingKey(name);
          if (key === undefined) {
            if (!allIn(TOKEN, name)) {
              failure = { rule: 'header-name', message: 'header field name is not a token', offset: pos };
              break;
            }
            key = keyByLowerCase(name);
          }
          names[count] = name;
          keys[count] = key;
          field = fieldOfKey(key);
        }
      }
      if (field !== FIELD_OTHER) {
        // RFC 4475 §3.3.8, §3.3.9: of these only Via may occur more than once.
        if (first[field]! < 0) first[field] = count;
        else if (field !== FIELD_VIA && repeated === FIELD_OTHER) repeated = field;
      }
      let valueStart = colon + 1;
      while (valueStart < end && isSpace(data[headStart + valueStart]!)) valueStart++;
      let valueEnd = end;
      while (valueEnd > valueStart && isSpace(data[headStart + valueEnd - 1]!)) valueEnd--;
      ranges[2 * count] = valueStart;
      ranges[2 * count + 1] = valueEnd;
      count++;
    }
    pos = nl + 1;
  }
  if (failure === undefined) {
    block.names = names.slice(0, count);
    block.keys = keys.slice(0, count);
    block.ranges = ranges.slice(0, 2 * count);
    // Decoded once unfolded, so that a value is read as UTF-8 or as Latin-1 as a whole.
    if (hasHighBytes) {
      values ??= [];
      for (let i = 0; i < count; i++) {
        values[i] = decodeUtf8(values[i] ?? head.slice(ranges[2 * i], ranges[2 * i + 1]));
        block.ranges[2 * i] = -1;
      }
    }
    block.values = values ?? [];
    block.bareLf = bareLf;
    block.repeated = repeated;
  }
  if (names.length > SCRATCH_KEPT) {
    names.length = 0;
    keys.length = 0;
    ranges.length = 0;
  }
  return failure;
}

/** Why a header line without a name before a colon was refused. */
function headerLineFailure(head: string, pos: number, end: number): SipParseError {
  if (end === pos)
    return { rule: 'message-header', message: 'empty line inside the header block', offset: pos };
  const colon = head.indexOf(':', pos);
  if (colon < 0 || colon >= end)
    return { rule: 'message-header', message: 'header line without a colon', offset: pos };
  return { rule: 'header-name', message: 'header field name is not a token', offset: pos };
}

/** Header values are UTF-8 (RFC 3261 §7.3.1); invalid UTF-8 is kept as Latin-1 so that no octet is lost. */
export function decodeUtf8(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : latin1;
}
