/** name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1). */
import { isIn, isSpace, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { quotedStringEnd, quoteString, readQuotedString } from './escape.js';
import { lastReadFailure, lastReadMessage, refuse } from './failure.js';
import { addLastParam, formatParams, readParam } from './params.js';
import type { NameAddr, Result } from './types.js';
import { emptyUri, formatUri, readUri } from './uri.js';

/**
 * Parses `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. In the addr-spec form
 * every parameter after the URI is a header parameter and the URI may not contain ',', '?'
 * or ';' (RFC 3261 §20.10; RFC 4475 §3.3.12, §3.1.2.13). Never throws.
 */
export function parseNameAddr(text: string): Result<NameAddr> {
  const nameAddr: NameAddr = { uri: emptyUri(), params: {} };
  return readNameAddr(text, nameAddr) ? { ok: true, value: nameAddr } : lastReadFailure();
}

/** Whether the whole of `text` is a valid name-addr / addr-spec with parameters, without building it. */
export function isNameAddr(text: string): boolean {
  return readNameAddr(text, undefined);
}

/** Validates `text` and, when `nameAddr` is given, fills it. False with `lastReadFailure` set when invalid. */
function readNameAddr(text: string, nameAddr: NameAddr | undefined): boolean {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) === 0x22) {
    const end = quotedStringEnd(text, i);
    if (end < 0) return refuse('display-name', 'unterminated quoted string in display name', i);
    if (nameAddr !== undefined) nameAddr.displayName = readQuotedString(text, i)!.text;
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== 0x3c) {
      return refuse('name-addr', 'a quoted display name must be followed by <URI>', i);
    }
  } else {
    const lt = text.indexOf('<', i);
    if (lt >= 0) {
      // display-name = *(token LWS) / quoted-string; a bare comma or '.'-less junk must be quoted.
      const end = skipSpaceBack(text, lt, i);
      for (let k = i; k < end; k++) {
        const c = text.charCodeAt(k);
        if (!isIn(TOKEN, c) && !isSpace(c)) {
          return refuse('display-name', 'display name has characters that are only allowed when quoted', k);
        }
      }
      if (end > i && nameAddr !== undefined) nameAddr.displayName = text.slice(i, end);
      i = lt;
    }
  }
  let uriStart: number;
  let uriEnd: number;
  let rule: string;
  if (text.charCodeAt(i) === 0x3c) {
    const gt = text.indexOf('>', i + 1);
    if (gt < 0) return refuse('name-addr', 'missing > after URI', i);
    uriStart = i + 1;
    uriEnd = gt;
    rule = 'name-addr';
    i = gt + 1;
  } else {
    uriStart = i;
    while (i < text.length && text.charCodeAt(i) !== 0x3b && !isSpace(text.charCodeAt(i))) i++;
    uriEnd = i;
    rule = 'addr-spec';
    const question = text.indexOf('?', uriStart);
    const comma = text.indexOf(',', uriStart);
    if ((question >= 0 && question < uriEnd) || (comma >= 0 && comma < uriEnd)) {
      return refuse('addr-spec', 'a URI with "?" or "," must be enclosed in <> (RFC 3261 §20.10)', uriStart);
    }
  }
  if (readUri(text, uriStart, uriEnd, nameAddr?.uri) < 0) {
    const excerpt = JSON.stringify(text.slice(uriStart, Math.min(uriEnd, uriStart + 64)));
    return refuse(rule, `${lastReadMessage()} in ${excerpt}`, i);
  }
  i = skipSpace(text, i);
  while (i < text.length && text.charCodeAt(i) === 0x3b) {
    i = readParam(text, i, rule);
    if (i < 0) return false;
    if (nameAddr !== undefined) addLastParam(text, nameAddr.params);
  }
  if (i !== text.length) {
    return refuse(rule, `unexpected character ${JSON.stringify(text[i])} after URI`, i);
  }
  return true;
}

/** Formats the name-addr form (always with <>, so any URI is safe), quoting the display name. */
export function formatNameAddr(nameAddr: NameAddr): string {
  const uri = `<${formatUri(nameAddr.uri)}>${formatParams(nameAddr.params)}`;
  return nameAddr.displayName === undefined ? uri : `${quoteString(nameAddr.displayName)} ${uri}`;
}
