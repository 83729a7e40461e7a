/**
 * The file snapshot store: the last good config, persisted so a process that starts while its source is
 * down can still serve it. A snapshot is one header line (format, size, SHA-256 of the config, when it
 * was saved) and the config's JSON. Writes are atomic: a temporary file in the same directory, written,
 * fsynced and renamed over the snapshot (then the directory is fsynced), so a crash leaves the old
 * snapshot or the new one, never half of one. A read never throws: a missing snapshot is undefined, and
 * a corrupt one (truncated, edited, not JSON) is undefined with the reason in `lastReadError()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { FlagSourceError } from './errors.js';
import { readCapped } from './file-read.js';
import {
  checkFilePath,
  configShapeProblem,
  DEFAULT_MAX_BYTES,
  errorCode,
  isPlainObject,
  MAX_MAX_BYTES,
  parseConfigBytes,
  toSourceError,
} from './source-kit.js';
import type { FlagConfig, SnapshotStore } from './types.js';

/** Options of {@link createFileSnapshotStore}. */
export interface FileSnapshotStoreOptions {
  /** The snapshot file (resolved against the working directory at construction); its directory must exist. */
  readonly path: string;
  /** Largest config written or read. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Stamps `savedAtMs` in the header. Default the system clock. */
  readonly clock?: Clock;
}

/** A file {@link SnapshotStore}. */
export interface FileSnapshotStore extends SnapshotStore {
  readonly kind: 'file';
  /** The absolute path. */
  readonly path: string;
  /** The persisted config; undefined when there is none or it is unusable (see `lastReadError`). */
  read(): Promise<FlagConfig | undefined>;
  /**
   * Persists `config` atomically; writes run one at a time, the last one wins. Throws
   * `InvalidArgumentError` for a config that is not an object with `flags`, is not JSON or is over
   * `maxBytes`, and {@link FlagSourceError} when the file cannot be written (the old snapshot stays).
   */
  write(config: FlagConfig): Promise<void>;
  /** Why the last `read` answered undefined although a file was there; undefined otherwise. */
  lastReadError(): FlagSourceError | undefined;
}

/** The header's `format`, naming what the file is. */
const FORMAT = 'backend-patterns/flags-snapshot';
const FORMAT_VERSION = 1;
/** Room for the header line on top of `maxBytes`. */
const HEADER_MAX_BYTES = 1024;
const NEWLINE = 0x0a;

const parseOptions = defineOptions('createFileSnapshotStore', {
  path: opt.custom(checkFilePath, { required: true }),
  maxBytes: opt.integer({ default: DEFAULT_MAX_BYTES, min: 2, max: MAX_MAX_BYTES }),
  clock: opt.clock(),
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const corrupt = (path: string, why: string) => new FlagSourceError('snapshot', `${path} is corrupt: ${why}`);

function readHeader(path: string, line: Uint8Array): { readonly bytes: number; readonly sha256: string } {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(line).toString('utf8'));
  } catch {
    throw corrupt(path, 'the header line is not JSON');
  }
  if (!isPlainObject(header) || header.format !== FORMAT) throw corrupt(path, 'not a flags snapshot');
  if (header.formatVersion !== FORMAT_VERSION) throw corrupt(path, 'an unknown snapshot format version');
  if (!Number.isSafeInteger(header.bytes) || typeof header.sha256 !== 'string') {
    throw corrupt(path, 'the header lacks `bytes` or `sha256`');
  }
  return { bytes: header.bytes as number, sha256: header.sha256 };
}

/** Decodes a snapshot file's bytes into its config; throws {@link FlagSourceError} saying what is wrong. */
function decodeSnapshot(path: string, file: Uint8Array): FlagConfig {
  const newline = file.indexOf(NEWLINE);
  if (newline < 0 || newline > HEADER_MAX_BYTES) throw corrupt(path, 'no header line');
  const header = readHeader(path, file.subarray(0, newline));
  const body = file.subarray(newline + 1);
  if (body.byteLength !== header.bytes) {
    throw corrupt(
      path,
      `the config is ${body.byteLength} bytes, the header says ${header.bytes} (truncated?)`,
    );
  }
  if (sha256(body) !== header.sha256) throw corrupt(path, 'the checksum does not match');
  return parseConfigBytes('snapshot', body, path).config;
}

const WRITE_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the filesystem is read-only',
};

function writeError(path: string, error: unknown): FlagSourceError {
  const code = errorCode(error);
  const reason = (code && WRITE_REASONS[code]) ?? code ?? 'unknown error';
  return new FlagSourceError('snapshot', `${path} cannot be written (${reason})`, { cause: error });
}

/** fsyncs a directory so a rename in it survives a crash; not possible everywhere (Windows), so best effort. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => {});
  await handle.close().catch(() => {});
}

async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw writeError(path, error);
  }
  await syncDirectory(dir);
}

function encodeSnapshot(config: FlagConfig, maxBytes: number, savedAtMs: number): Uint8Array {
  const problem = configShapeProblem(config);
  if (problem !== undefined) throw new InvalidArgumentError(`FileSnapshotStore.write: ${problem}`);
  let json: string;
  try {
    json = JSON.stringify(config);
  } catch (error) {
    throw new InvalidArgumentError('FileSnapshotStore.write: the config cannot be written as JSON', {
      cause: error,
    });
  }
  const body = Buffer.from(json, 'utf8');
  if (body.byteLength > maxBytes) {
    throw new InvalidArgumentError(
      `FileSnapshotStore.write: the config is ${body.byteLength} bytes, over the ${maxBytes}-byte cap`,
    );
  }
  const header = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    savedAtMs,
    bytes: body.byteLength,
    sha256: sha256(body),
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]);
}

/**
 * Creates a snapshot store in one file.
 *
 * @example
 * ```ts
 * const snapshots = createFileSnapshotStore({ path: '/var/lib/app/flags.snapshot' });
 * await snapshots.write({ flags: {} });
 * const config = await snapshots.read(); // undefined when missing or corrupt
 * ```
 */
export function createFileSnapshotStore(options: FileSnapshotStoreOptions): FileSnapshotStore {
  const o = parseOptions(options);
  const path = resolve(o.path);
  let problem: FlagSourceError | undefined;
  let writes: Promise<void> = Promise.resolve();

  return {
    kind: 'file',
    path,
    async read() {
      problem = undefined;
      try {
        return decodeSnapshot(path, await readCapped('snapshot', path, o.maxBytes + HEADER_MAX_BYTES));
      } catch (error) {
        const cause = error instanceof FlagSourceError ? error.cause : error;
        if (errorCode(cause) !== 'ENOENT')
          problem = toSourceError('snapshot', `${path} cannot be read`, error);
        return undefined;
      }
    },
    async write(config) {
      const data = encodeSnapshot(config, o.maxBytes, o.clock.now());
      const next = writes.then(() => writeAtomically(path, data));
      writes = next.catch(() => {});
      return next;
    },
    lastReadError: () => problem,
  };
}
