/**
 * `createClamavScanner`: the {@link VirusScanner} port on clamd's INSTREAM command, over TCP or a Unix
 * socket. Verdicts:
 *
 * - `clean`: clamd read the whole stream and answered `stream: OK`; nothing else is ever clean.
 * - `infected`: `stream: <signature> FOUND` (the `(md5:size)` of `ExtendedDetectionInfo` is cut off).
 * - `too_large`: the declared size is over `maxScanBytes` (answered without connecting), the stream grew
 *   past it (sending stops there), clamd refused it (`INSTREAM size limit exceeded`), or clamd reported
 *   `Heuristics.Limits.Exceeded…` (`AlertExceedsMax yes`: the file was not fully scanned).
 * - `unavailable`: refused, reset, closed, timed out, a reply that is not clamd's, any other `ERROR`.
 *
 * It never throws for a scanner problem. Two things do reject, because they are the caller's: an error
 * thrown by the source is rethrown as is (the connection is dropped first), and an abort through
 * `options.signal` rejects with the signal's reason (the connection is destroyed at once).
 */
import { InvalidArgumentError } from '../core/errors.js';
import {
  type ClamavScannerOptions,
  parseClamavOptions,
  type ResolvedClamavOptions,
} from './clamav-options.js';
import { INSTREAM_COMMAND, PING_COMMAND, verdictOfReply } from './clamav-protocol.js';
import { type ClamdSession, openSession, type SessionEnd } from './clamav-session.js';
import type { ByteSource, ScanOptions, ScanVerdict, VirusScanner } from './types.js';

/** A {@link VirusScanner} on clamd, with a health check. */
export interface ClamavScanner extends VirusScanner {
  /** True when clamd answers `PING` with `PONG` (within the connect and idle deadlines). Never throws. */
  ping(): Promise<boolean>;
}

function verdictOfEnd(end: SessionEnd, o: ResolvedClamavOptions, complete: boolean): ScanVerdict {
  if (end.kind === 'reply') return verdictOfReply(end.text, o.maxScanBytes, complete);
  if (end.kind === 'failed') return { status: 'unavailable', reason: end.reason };
  return { status: 'unavailable', reason: 'the scan was aborted' };
}

function checkedSize(options: ScanOptions | undefined): number | undefined {
  const size = options?.sizeBytes;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw new InvalidArgumentError(
      `scan: \`sizeBytes\` must be an integer >= 0, got ${typeof size === 'number' ? size : typeof size}`,
    );
  }
  return size;
}

/** Why a source chunk is refused: the port takes bytes only. */
function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new InvalidArgumentError(`scan: the source yielded ${typeof chunk}, not a Uint8Array`);
}

/**
 * Streams `source` to an open session, chunk by chunk, racing each read of the source against the end of
 * the session (clamd may fail or answer while the source is slow). Resolves with the verdict when it is
 * known before the end of the stream, or undefined when the whole stream was sent.
 */
async function pump(
  session: ClamdSession,
  source: ByteSource,
  o: ResolvedClamavOptions,
): Promise<ScanVerdict | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let sentBytes = 0;
  let finished = false;
  try {
    for (;;) {
      // Each read races the end of the session (clamd may fail or answer while the source is slow).
      const next = await new Promise<{ end: SessionEnd } | { result: IteratorResult<unknown> }>(
        (resolve, reject) => {
          const off = session.onEnd((end) => resolve({ end }));
          Promise.resolve(iterator.next()).then(
            (result) => {
              off();
              resolve({ result });
            },
            (error: unknown) => {
              off();
              reject(error);
            },
          );
        },
      );
      if ('end' in next) return verdictOfEnd(next.end, o, false);
      if (next.result.done) {
        finished = true;
        return undefined;
      }
      const chunk = asBytes(next.result.value);
      if (sentBytes + chunk.byteLength > o.maxScanBytes) {
        session.fail('the stream is over maxScanBytes');
        return { status: 'too_large', limitBytes: o.maxScanBytes };
      }
      for (let at = 0; at < chunk.byteLength; at += o.chunkBytes) {
        const piece = chunk.subarray(at, Math.min(chunk.byteLength, at + o.chunkBytes));
        await session.sendChunk(piece);
        const end = session.end();
        if (end) return verdictOfEnd(end, o, false);
      }
      sentBytes += chunk.byteLength;
    }
  } finally {
    // Stop the source when we stop early; a source that rejects on return is not our verdict's business.
    if (!finished) {
      try {
        Promise.resolve(iterator.return?.()).catch(() => {});
      } catch {
        // a synchronous throw from return(): nothing to stop then
      }
    }
  }
}

async function scanWith(
  o: ResolvedClamavOptions,
  source: ByteSource,
  options?: ScanOptions,
): Promise<ScanVerdict> {
  const declared = checkedSize(options);
  if (typeof (source as Partial<ByteSource> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new InvalidArgumentError('scan: `source` must be an async iterable of Uint8Array chunks');
  }
  const signal = options?.signal;
  signal?.throwIfAborted();
  if (declared !== undefined && declared > o.maxScanBytes)
    return { status: 'too_large', limitBytes: o.maxScanBytes };
  const timeouts = {
    connectTimeoutMs: o.connectTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    replyTimeoutMs: o.scanTimeoutMs,
  };
  const session = openSession(o.address, INSTREAM_COMMAND, timeouts, o.clock, signal);
  if (!(await session.connected)) {
    signal?.throwIfAborted();
    return verdictOfEnd(session.end() ?? { kind: 'aborted' }, o, false);
  }
  let early: ScanVerdict | undefined;
  try {
    early = await pump(session, source, o);
  } catch (error) {
    session.fail('the source failed');
    throw error;
  }
  signal?.throwIfAborted();
  if (early) return early;
  session.finish();
  const end = await session.ended;
  signal?.throwIfAborted();
  return verdictOfEnd(end, o, true);
}

async function pingWith(o: ResolvedClamavOptions): Promise<boolean> {
  const timeouts = {
    connectTimeoutMs: o.connectTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    replyTimeoutMs: 0,
  };
  const session = openSession(o.address, PING_COMMAND, timeouts, o.clock);
  if (!(await session.connected)) return false;
  const timer = new AbortController();
  o.clock.sleep(o.idleTimeoutMs, timer.signal).then(
    () => session.fail('no PONG'),
    () => {},
  );
  const end = await session.ended;
  timer.abort();
  return end.kind === 'reply' && end.text === 'PONG';
}

/**
 * Creates a scanner on clamd. Options are checked here (`ERR_INVALID_OPTION`); nothing connects until
 * the first `scan` or `ping`, and every scan has its own connection.
 *
 * @example
 * ```ts
 * const scanner = createClamavScanner({ socketPath: '/run/clamav/clamd.ctl', maxScanBytes: 25 * 2 ** 20 });
 * // The request body streams through; a declared size over the limit answers at once.
 * const verdict = await scanner.scan(req, { sizeBytes: Number(req.headers['content-length'] ?? 0) });
 * if (verdict.status !== 'clean') res.status(422).json({ refused: verdict.status });
 * ```
 */
export function createClamavScanner(options: ClamavScannerOptions = {}): ClamavScanner {
  const o = parseClamavOptions(options);
  return Object.freeze({
    name: o.name,
    maxScanBytes: o.maxScanBytes,
    scan: (source: ByteSource, scanOptions?: ScanOptions) => scanWith(o, source, scanOptions),
    ping: () => pingWith(o),
  });
}
