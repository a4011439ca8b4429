/**
 * Turns a requested file name into path segments that cannot leave a served folder.
 * Pure string checks; the directory source adds the filesystem checks (symlinks).
 */

/** Longest name accepted; a 512-octet request cannot carry more anyway. */
const MAX_NAME_LENGTH = 500;
/** NAME_MAX on common filesystems. */
const MAX_SEGMENT_LENGTH = 255;

export type RequestPath = { ok: true; segments: string[] } | { ok: false; reason: string };

export function parseRequestPath(name: string): RequestPath {
  if (name.length === 0) return { ok: false, reason: 'empty name' };
  if (name.length > MAX_NAME_LENGTH) return { ok: false, reason: 'name too long' };
  // Control characters (NUL included) have no place in a file name a phone asks for.
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, reason: 'control character in name' };
  if (name.includes('\\')) return { ok: false, reason: 'backslash in name' };
  if (name.startsWith('/')) return { ok: false, reason: 'absolute path' };
  const segments = name.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..')
      return { ok: false, reason: 'empty, "." or ".." path segment' };
    if (segment.length > MAX_SEGMENT_LENGTH) return { ok: false, reason: 'path segment too long' };
  }
  return { ok: true, segments };
}
