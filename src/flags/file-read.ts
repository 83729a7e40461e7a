/**
 * Reading a small file defensively, for the file source and the snapshot store: opened non-blocking (a
 * FIFO at the path cannot hang the read), regular files only (not a directory, a device or a socket),
 * capped at `maxBytes` before and while reading (a file that grows mid-read is caught too).
 */
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { FlagSourceError } from './errors.js';
import { errorCode } from './source-kit.js';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CHUNK_BYTES = 64 * 1024;

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist (a parent is not a directory)',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
  ELOOP: 'cannot be opened (too many symbolic links: a loop?)',
  EISDIR: 'is a directory, not a file',
  ENAMETOOLONG: 'cannot be opened (name too long)',
};

/** A {@link FlagSourceError} for a failed file operation, with the reason in words. */
export function fileError(source: string, path: string, error: unknown): FlagSourceError {
  const code = errorCode(error);
  const reason = (code && REASONS[code]) ?? `cannot be read (${code ?? 'unknown error'})`;
  return new FlagSourceError(source, `${path} ${reason}`, { cause: error });
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const tooLarge = (source: string, path: string, bytes: string, maxBytes: number) =>
  new FlagSourceError(source, `${path} is ${bytes} bytes, over the ${maxBytes}-byte cap (\`maxBytes\`)`);

/**
 * Reads the file at `path` whole, at most `maxBytes`. Throws {@link FlagSourceError}: missing,
 * unreadable, not a regular file, too large, or `aborted` when `signal` fires between reads.
 */
export async function readCapped(
  source: string,
  path: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (signal?.aborted) throw new FlagSourceError(source, 'aborted', { cause: signal.reason });
  const handle = await open(path, OPEN_FLAGS).catch((error: unknown) => {
    throw fileError(source, path, error);
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new FlagSourceError(source, `${path} is ${kindOf(stats)}, not a file`);
    if (stats.size > maxBytes) throw tooLarge(source, path, String(stats.size), maxBytes);
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      if (signal?.aborted) throw new FlagSourceError(source, 'aborted', { cause: signal.reason });
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(source, path, `over ${maxBytes}`, maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, length);
  } catch (error) {
    throw error instanceof FlagSourceError ? error : fileError(source, path, error);
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * A cheap change signature of `path` (device, inode, size, modification and change times), following
 * symbolic links, so an editor's rename or a Kubernetes ConfigMap's symlink swap changes it too.
 */
export async function fileSignature(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    return `missing:${errorCode(error) ?? 'unknown'}`;
  }
}
