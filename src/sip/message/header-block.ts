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
  knownSpellingKey,
} from './header-names.js';
import type { SipParseError } from './types.js';

/**
 * The fields of one header block. A value that lies in the header block as it is (neither
 * folded nor decoded) is not sliced: `values[i]` is undefined and head[ranges[2i],
 * ranges[2i + 1]) is the value. The other values are strings, their range start -1. The arrays
 * are new for every block and handed over to the message's HeaderFields.
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
 * Splits the header lines of head[pos, ..) into `block`: unfolds continuation lines
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
  hasHighBytes: boolean,
): SipParseError | undefined {
  const names: string[] = [];
  const values: Array<string | undefined> = [];
  const keys: string[] = [];
  const ranges: number[] = [];
  const first = block.first;
  for (let field = 0; field < FIELD_COUNT; field++) first[field] = -1;
  let repeated = FIELD_OTHER;
  let bareLf = false;
  const length = head.length;
  while (pos < length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = length;
    let end = nl;
    if (end > pos && head.charCodeAt(end - 1) === 0x0d) end--;
    else if (nl < length) bareLf = true;
    if (isSpace(head.charCodeAt(pos))) {
      const last = values.length - 1;
      if (last < 0) {
        return {
          rule: 'message-header',
          message: 'continuation line before the first header field',
          offset: pos,
        };
      }
      const pieceStart = skipSpace(head, pos, end);
      if (pieceStart < end) {
        const piece = head.slice(pieceStart, skipSpaceBack(head, end, pieceStart));
        const value = values[last] ?? head.slice(ranges[2 * last], ranges[2 * last + 1]);
        values[last] = value.length === 0 ? piece : `${value} ${piece}`;
        ranges[2 * last] = -1;
      }
    } else {
      const colon = head.indexOf(':', pos);
      const nameEnd = colon < 0 || colon >= end ? pos : skipSpaceBack(head, colon, pos);
      if (nameEnd === pos) return headerLineFailure(head, pos, end);
      let field: number;
      const known = knownFieldAt(data, headStart + pos, headStart + nameEnd);
      if (known !== undefined) {
        names.push(known.name);
        keys.push(known.key);
        field = known.field;
      } else {
        const name = head.slice(pos, nameEnd);
        let key = knownSpellingKey(name);
        if (key === undefined) {
          if (!allIn(TOKEN, name))
            return { rule: 'header-name', message: 'header field name is not a token', offset: pos };
          key = keyByLowerCase(name);
        }
        names.push(name);
        keys.push(key);
        field = fieldOfKey(key);
      }
      if (field !== FIELD_OTHER) {
        // RFC 4475 §3.3.8, §3.3.9: of these only Via may occur more than once.
        if (first[field]! < 0) first[field] = keys.length - 1;
        else if (field !== FIELD_VIA && repeated === FIELD_OTHER) repeated = field;
      }
      const valueStart = skipSpace(head, colon + 1, end);
      ranges.push(valueStart, skipSpaceBack(head, end, valueStart));
      values.push(undefined);
    }
    pos = nl + 1;
  }
  // Decoded once unfolded, so that a value is read as UTF-8 or as Latin-1 as a whole.
  if (hasHighBytes) {
    for (let i = 0; i < values.length; i++) {
      values[i] = decodeUtf8(values[i] ?? head.slice(ranges[2 * i], ranges[2 * i + 1]));
      ranges[2 * i] = -1;
    }
  }
  block.names = names;
  block.values = values;
  block.keys = keys;
  block.ranges = ranges;
  block.bareLf = bareLf;
  block.repeated = repeated;
  return undefined;
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
