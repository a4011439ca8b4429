/**
 * Serves files from one or more folders, never anything outside them. Cisco phones ask for names
 * in whatever case their firmware uses (`sep0008a37128e9.cnf.xml` for `SEP0008A37128E9.cnf.xml`),
 * so lookup is case-insensitive by default.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { type FileSource, type SourceFile, TftpError } from './file-source.js';
import { ErrorCode } from './packet.js';
import { parseRequestPath } from './request-path.js';

export interface DirectorySourceOptions {
  /** Match names ignoring case when no exact match exists (default true). */
  caseInsensitive?: boolean;
  /** Files up to this size are read whole and closed at once, so no descriptor stays open (default 256 KiB). */
  memoryLimit?: number;
}

const accessViolation = () => new TftpError(ErrorCode.accessViolation, 'Access violation');

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Filesystem errors that mean "no such file" give undefined; those that mean "refused" a TftpError. */
function classify(error: unknown): undefined {
  const code = errnoOf(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') throw accessViolation();
  throw error;
}

/** Finds `segment` in `dir`, exactly or, failing that, ignoring case. Returns the entry's path. */
async function findEntry(
  dir: string,
  segment: string,
  caseInsensitive: boolean,
): Promise<string | undefined> {
  const exact = path.join(dir, segment);
  try {
    await fs.lstat(exact);
    return exact;
  } catch (error) {
    classify(error);
  }
  if (!caseInsensitive) return undefined;
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    return classify(error);
  }
  const wanted = segment.toLowerCase();
  // Several names may differ only in case; the lowest sorts first so the choice is stable.
  let match: string | undefined;
  for (const entry of entries) {
    if (entry.toLowerCase() === wanted && (match === undefined || entry < match)) match = entry;
  }
  return match === undefined ? undefined : path.join(dir, match);
}

/** Octets read from disk at once for files served piece by piece: one read serves many blocks. */
const READ_AHEAD = 64 * 1024;

/**
 * Reads through a single read-ahead buffer, so a lock-step transfer of 512-octet blocks costs one
 * disk read per 128 blocks instead of one per block. Memory: one buffer per open large file.
 */
function readAhead(handle: fs.FileHandle): (offset: number, length: number) => Promise<Buffer> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkOffset = 0;
  return async (offset, length) => {
    const start = offset - chunkOffset;
    if (start < 0 || start + length > chunk.length) {
      chunk = await readFull(handle, offset, Math.max(length, READ_AHEAD));
      chunkOffset = offset;
      return chunk.subarray(0, length);
    }
    return chunk.subarray(start, start + length);
  };
}

async function readFull(handle: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled < length ? buffer.subarray(0, filled) : buffer;
}

/**
 * Opens `candidate` only if its real location is inside `rootPrefix`: symlinks that lead out of
 * the folder are refused. O_NOFOLLOW stops a last-moment swap of the final component and, on
 * Linux, the opened descriptor's own path is checked again for swapped parent folders.
 */
async function openInside(
  rootPrefix: string,
  candidate: string,
  memoryLimit: number,
): Promise<SourceFile | undefined> {
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch (error) {
    return classify(error);
  }
  if (!real.startsWith(rootPrefix)) throw accessViolation();
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO planted in the folder must not hang the server.
    handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return classify(error);
  }
  let keepOpen = false;
  try {
    if (
      process.platform === 'linux' &&
      !(await fs.readlink(`/proc/self/fd/${handle.fd}`)).startsWith(rootPrefix)
    )
      throw accessViolation();
    const stat = await handle.stat();
    if (!stat.isFile()) throw accessViolation();
    if (stat.size <= memoryLimit) return { data: await readFull(handle, 0, stat.size) };
    keepOpen = true;
    const open = handle;
    return { size: stat.size, read: readAhead(open), close: () => open.close() };
  } finally {
    if (!keepOpen) await handle.close();
  }
}

export function directorySource(roots: readonly string[], options: DirectorySourceOptions = {}): FileSource {
  const caseInsensitive = options.caseInsensitive ?? true;
  const memoryLimit = options.memoryLimit ?? 256 * 1024;
  return {
    async open(name) {
      const parsed = parseRequestPath(name);
      if (!parsed.ok) throw accessViolation();
      for (const root of roots) {
        let realRoot: string;
        try {
          realRoot = await fs.realpath(root);
        } catch (error) {
          classify(error);
          continue; // a missing folder serves nothing
        }
        let current: string | undefined = realRoot;
        for (const segment of parsed.segments) {
          current = await findEntry(current, segment, caseInsensitive);
          if (current === undefined) break;
        }
        if (current === undefined) continue;
        const rootPrefix = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
        return openInside(rootPrefix, current, memoryLimit);
      }
      return undefined;
    },
  };
}
