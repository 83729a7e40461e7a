/**
 * Options of `createClamavScanner`, checked once at construction (`ERR_INVALID_OPTION`).
 */
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';

/** clamd's usual TCP port. */
export const DEFAULT_CLAMD_PORT = 3310;
/** Default {@link ClamavScannerOptions.maxScanBytes}: 25 MiB, the `StreamMaxLength` of Debian's clamd.conf. */
export const DEFAULT_MAX_SCAN_BYTES = 25 * 1024 * 1024;
/** Largest `maxScanBytes` accepted: clamd cannot scan a file of 2 GiB or more. */
export const MAX_SCAN_BYTES_LIMIT = 2 * 1024 * 1024 * 1024 - 1;
/** Default {@link ClamavScannerOptions.chunkBytes}: 64 KiB per INSTREAM chunk. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** Options of `createClamavScanner`. Give `socketPath` or `host`/`port`, not both. */
export interface ClamavScannerOptions {
  /** clamd's TCP host (`TCPAddr`). Default `127.0.0.1` when no `socketPath` is given. */
  readonly host?: string;
  /** clamd's TCP port (`TCPSocket`). Default 3310. */
  readonly port?: number;
  /** clamd's Unix socket (`LocalSocket`), instead of TCP. */
  readonly socketPath?: string;
  /**
   * Largest stream scanned, bytes: a declared size over it is `too_large` without connecting, and a
   * stream that grows past it is cut and answered `too_large`. Keep it at or below clamd's
   * `StreamMaxLength` and `MaxFileSize` (and `MaxScanSize`): over those clamd refuses the stream or, with
   * `AlertExceedsMax yes`, reports `Heuristics.Limits.Exceeded` — both become `too_large` too, but only
   * after the bytes were sent. Without `AlertExceedsMax yes` clamd answers `OK` for a file over
   * `MaxFileSize`/`MaxScanSize` it did not fully scan, which this adapter cannot tell from clean: set it.
   * Default 25 MiB; at most 2 GiB - 1.
   */
  readonly maxScanBytes?: number;
  /** Largest INSTREAM chunk, bytes; bigger source chunks are split. Default 64 KiB, at most 8 MiB. */
  readonly chunkBytes?: number;
  /** Deadline of the connection, ms. Default 2,000. */
  readonly connectTimeoutMs?: number;
  /** Deadline of clamd's reply once the whole stream was sent (the scan itself), ms. Default 30,000. */
  readonly scanTimeoutMs?: number;
  /**
   * Longest clamd may take no bytes while some wait to be sent (a stalled clamd), ms; also the deadline
   * of the reply to `ping()`. Time spent waiting for the source does not count: the source's pace is the
   * caller's (keep its stalls below clamd's `ReadTimeout`, 120 s by default). Default 10,000.
   */
  readonly idleTimeoutMs?: number;
  /** The scanner's `name` (metrics, logs). Default `clamav`. */
  readonly name?: string;
  /** Time source of the deadlines. Default the system clock. */
  readonly clock?: Clock;
}

const OWNER = 'createClamavScanner';

const parse = defineOptions(OWNER, {
  host: opt.string({ maxLength: 255 }),
  port: opt.integer({ min: 1, max: 65_535 }),
  socketPath: opt.string({ maxLength: 4096 }),
  maxScanBytes: opt.integer({ default: DEFAULT_MAX_SCAN_BYTES, min: 1, max: MAX_SCAN_BYTES_LIMIT }),
  chunkBytes: opt.integer({ default: DEFAULT_CHUNK_BYTES, min: 1, max: 8 * 1024 * 1024 }),
  connectTimeoutMs: opt.duration({ default: 2_000, max: 600_000 }),
  scanTimeoutMs: opt.duration({ default: 30_000, max: 3_600_000 }),
  idleTimeoutMs: opt.duration({ default: 10_000, max: 3_600_000 }),
  name: opt.name({ default: 'clamav' }),
  clock: opt.clock(),
});

/** Where clamd listens. */
export type ClamdAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** The options with defaults applied. */
export interface ResolvedClamavOptions {
  readonly address: ClamdAddress;
  readonly maxScanBytes: number;
  readonly chunkBytes: number;
  readonly connectTimeoutMs: number;
  readonly scanTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly name: string;
  readonly clock: Clock;
}

/** Validates the options; throws `InvalidOptionError` for a bad or conflicting one. */
export function parseClamavOptions(input: unknown): ResolvedClamavOptions {
  const o = parse(input);
  if (o.socketPath !== undefined && (o.host !== undefined || o.port !== undefined)) {
    throw new InvalidOptionError(`${OWNER}: give \`socketPath\` or \`host\`/\`port\`, not both`);
  }
  const address: ClamdAddress =
    o.socketPath !== undefined
      ? { kind: 'unix', path: o.socketPath }
      : { kind: 'tcp', host: o.host ?? '127.0.0.1', port: o.port ?? DEFAULT_CLAMD_PORT };
  return {
    address,
    maxScanBytes: o.maxScanBytes,
    chunkBytes: o.chunkBytes,
    connectTimeoutMs: o.connectTimeoutMs,
    scanTimeoutMs: o.scanTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    name: o.name,
    clock: o.clock,
  };
}
