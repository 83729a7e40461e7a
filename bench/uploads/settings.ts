/**
 * The uploads bench's settings, from the environment (sizes in bytes):
 * - BENCH_UPLOADS_BIG_BYTES: the one big upload per side, on a fresh server each (RSS growth): 1 GiB.
 * - BENCH_UPLOADS_ROUND_BYTES: each alternating round's upload: 256 MiB.
 * - BENCH_UPLOADS_ROUNDS: alternating rounds (ours, plain, ours with clamd when available; reversed every other round): 5.
 * - BENCH_UPLOADS_FILE_BYTES / BENCH_UPLOADS_FILES: the direct-vs-proxied CPU case, files of 64 MiB, 5
 *   per side.
 * - BENCH_UPLOADS_PART_BYTES: the part size of both sides (the policy's default): 8 MiB; at least 5 MiB
 *   (S3's smallest part).
 * - BENCH_UPLOADS_WARMUP_BYTES: one untimed upload per side and server first: 16 MiB.
 * - BENCH_UPLOADS_OBJECTSTORE: radosgw's OSD backend, `bluestore` (default: a sparse file on disk, so a
 *   1 GiB object is not held in RAM) or `memstore` (quick smoke runs).
 * - BENCH_UPLOADS_CLAMD: `auto` (default: scan rounds when clamd is installed), `off`, or `on` (fail
 *   when clamd cannot start).
 *
 * A smoke run: `BENCH_UPLOADS_BIG_BYTES=12582912 BENCH_UPLOADS_ROUND_BYTES=11534336 BENCH_UPLOADS_ROUNDS=1
 * BENCH_UPLOADS_FILE_BYTES=1048576 BENCH_UPLOADS_FILES=1 BENCH_UPLOADS_PART_BYTES=5242880
 * BENCH_UPLOADS_WARMUP_BYTES=65536 BENCH_UPLOADS_OBJECTSTORE=memstore`.
 */
import { setting } from '../support/settings.js';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART_BYTES = 5 * MiB;
/** Largest upload the bench sends (the policy's maxBytes; clamd cannot scan 2 GiB or more). */
export const MAX_UPLOAD_BYTES = 2 * 1024 * MiB - 1;

/** The run's settings. */
export interface UploadsBenchSettings {
  readonly bigBytes: number;
  readonly roundBytes: number;
  readonly rounds: number;
  readonly fileBytes: number;
  readonly files: number;
  readonly partBytes: number;
  readonly warmupBytes: number;
  readonly objectstore: 'bluestore' | 'memstore';
  readonly clamd: 'auto' | 'on' | 'off';
}

function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function size(name: string, fallback: number, min: number): number {
  const value = setting(name, fallback, min);
  if (value > MAX_UPLOAD_BYTES) throw new Error(`${name} must be at most ${MAX_UPLOAD_BYTES}, got ${value}`);
  return value;
}

/** Reads the settings; a value out of range throws, naming its variable. */
export function uploadsBenchSettings(): UploadsBenchSettings {
  return {
    bigBytes: size('BENCH_UPLOADS_BIG_BYTES', 1024 * MiB, 1),
    roundBytes: size('BENCH_UPLOADS_ROUND_BYTES', 256 * MiB, 1),
    rounds: setting('BENCH_UPLOADS_ROUNDS', 5, 1),
    fileBytes: size('BENCH_UPLOADS_FILE_BYTES', 64 * MiB, 1),
    files: setting('BENCH_UPLOADS_FILES', 5, 1),
    partBytes: size('BENCH_UPLOADS_PART_BYTES', 8 * MiB, MIN_PART_BYTES),
    warmupBytes: size('BENCH_UPLOADS_WARMUP_BYTES', 16 * MiB, 1),
    objectstore: choice('BENCH_UPLOADS_OBJECTSTORE', ['bluestore', 'memstore'], 'bluestore'),
    clamd: choice('BENCH_UPLOADS_CLAMD', ['auto', 'on', 'off'], 'auto'),
  };
}
