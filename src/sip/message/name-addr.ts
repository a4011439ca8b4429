/** name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1). */
import { isIn, isSpace, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { quoteString, readQuotedString } from './escape.js';
import { fail } from './failure.js';
import { formatParams, parseParams } from './params.js';
import type { NameAddr, Result } from './types.js';
import { formatUri, parseUri } from './uri.js';

/**
 * Parses `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. In the addr-spec form
 * every parameter after the URI is a header parameter and the URI may not contain ',', '?'
 * or ';' (RFC 3261 §20.10; RFC 4475 §3.3.12, §3.1.2.13). Never throws.
 */
export function parseNameAddr(text: string): Result<NameAddr> {
  let i = skipSpace(text, 0);
  let displayName: string | undefined;
  if (text.charCodeAt(i) === 0x22) {
    const quoted = readQuotedString(text, i);
    if (quoted === undefined) return fail('display-name', 'unterminated quoted string in display name', i);
    displayName = quoted.text;
    i = skipSpace(text, quoted.end);
    if (text.charCodeAt(i) !== 0x3c)
      return fail('name-addr', 'a quoted display name must be followed by <URI>', i);
  } else {
    const lt = text.indexOf('<', i);
    if (lt >= 0) {
      // display-name = *(token LWS) / quoted-string; a bare comma or '.'-less junk must be quoted.
      const end = skipSpaceBack(text, lt, i);
      for (let k = i; k < end; k++) {
        const c = text.charCodeAt(k);
        if (!isIn(TOKEN, c) && !isSpace(c)) {
          return fail('display-name', 'display name has characters that are only allowed when quoted', k);
        }
      }
      if (end > i) displayName = text.slice(i, end);
      i = lt;
    }
  }
  let uriText: string;
  let rule: string;
  if (text.charCodeAt(i) === 0x3c) {
    const gt = text.indexOf('>', i + 1);
    if (gt < 0) return fail('name-addr', 'missing > after URI', i);
    uriText = text.slice(i + 1, gt);
    rule = 'name-addr';
    i = gt + 1;
  } else {
    const start = i;
    while (i < text.length && text.charCodeAt(i) !== 0x3b && !isSpace(text.charCodeAt(i))) i++;
    uriText = text.slice(start, i);
    rule = 'addr-spec';
    if (uriText.indexOf('?') >= 0 || uriText.indexOf(',') >= 0) {
      return fail('addr-spec', 'a URI with "?" or "," must be enclosed in <> (RFC 3261 §20.10)', start);
    }
  }
  const uri = parseUri(uriText);
  if (!uri.ok) return fail(rule, `${uri.error.message} in ${JSON.stringify(uriText.slice(0, 64))}`, i);
  const params = parseParams(text, i, rule);
  if (!params.ok) return params;
  if (params.value.end !== text.length) {
    return fail(
      rule,
      `unexpected character ${JSON.stringify(text[params.value.end])} after URI`,
      params.value.end,
    );
  }
  const nameAddr: NameAddr = { uri: uri.value, params: params.value.params };
  if (displayName !== undefined) nameAddr.displayName = displayName;
  return { ok: true, value: nameAddr };
}

/** Formats the name-addr form (always with <>, so any URI is safe), quoting the display name. */
export function formatNameAddr(nameAddr: NameAddr): string {
  const uri = `<${formatUri(nameAddr.uri)}>${formatParams(nameAddr.params)}`;
  return nameAddr.displayName === undefined ? uri : `${quoteString(nameAddr.displayName)} ${uri}`;
}
