/**
 * The scanner tee: the bytes going to the store are also streamed to a {@link VirusScanner}, concurrently,
 * through a queue bounded in bytes. When the scanner (clamd) reads slower than the client sends, `push`
 * waits, so the pressure of the scanner reaches the client like that of the store, and memory stays bounded.
 *
 * The scanner may answer before the end of the body: `too_large` from the declared size, `infected` as
 * soon as it found something, `unavailable` when it went away. From then on `push` drops the bytes (the
 * scanner no longer reads them) and `onEarlyVerdict` lets the pipeline stop at once when that verdict
 * refuses the upload. A `clean` answer given before the scanner read the whole body says nothing about the
 * bytes it did not read, so it becomes `unavailable`. A scanner that throws, or answers something that is
 * not a verdict, is `unavailable` too: only `clean` is ever clean.
 */
import type { ByteSource, ScanVerdict, VirusScanner } from './types.js';

/** Default bound of the queue to the scanner, bytes. */
export const DEFAULT_SCAN_QUEUE_BYTES = 1024 * 1024;

/** Options of {@link startScanTee}. */
export interface ScanTeeOptions {
  readonly scanner: VirusScanner;
  /** The declared size, passed to the scanner (it may answer `too_large` at once). */
  readonly sizeBytes?: number;
  /** `push` waits while more than this is queued, bytes. Default {@link DEFAULT_SCAN_QUEUE_BYTES}. */
  readonly maxQueuedBytes?: number;
  /** Cancels the scan. */
  readonly signal: AbortSignal;
  /** The scanner answered before `end()`. */
  readonly onEarlyVerdict: (verdict: ScanVerdict) => void;
}

/** A running scan fed by the pipeline. */
export interface ScanTee {
  /** Queues `chunk` for the scanner; waits while the queue is full. */
  push(chunk: Uint8Array): Promise<void>;
  /** No more bytes: the scanner sees the end of the stream. */
  end(): void;
  /** The verdict (never rejects). */
  readonly verdict: Promise<ScanVerdict>;
  /** Bytes the scanner has pulled so far. */
  readonly scannedBytes: number;
}

const STATUSES = new Set(['clean', 'infected', 'too_large', 'unavailable']);

/** Only a well-formed verdict is taken as one. */
function checked(verdict: unknown): ScanVerdict {
  const v = verdict as ScanVerdict | undefined;
  if (typeof v !== 'object' || v === null || !STATUSES.has(v.status)) {
    return { status: 'unavailable', reason: 'the scanner answered something that is not a verdict' };
  }
  if (v.status === 'infected' && typeof v.signature !== 'string') {
    return { status: 'infected', signature: 'unknown' };
  }
  return v;
}

/** Starts the scan now; the scanner pulls from the queue as the pipeline fills it. */
export function startScanTee(options: ScanTeeOptions): ScanTee {
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_SCAN_QUEUE_BYTES;
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let ended = false;
  let endSeen = false;
  let answered = false;
  let stopped = false;
  let scannedBytes = 0;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = () => {
    wakeConsumer?.();
    wakeProducer?.();
  };
  options.signal.addEventListener('abort', () => {
    stopped = true;
    wake();
  });

  const next = async (): Promise<IteratorResult<Uint8Array>> => {
    while (queue.length === 0 && !ended && !stopped) {
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
      wakeConsumer = undefined;
    }
    const chunk = stopped ? undefined : queue.shift();
    if (chunk === undefined) {
      if (ended && !stopped) endSeen = true;
      return { done: true, value: undefined };
    }
    queuedBytes -= chunk.byteLength;
    scannedBytes += chunk.byteLength;
    wakeProducer?.();
    return { done: false, value: chunk };
  };
  const source: ByteSource = {
    [Symbol.asyncIterator]: () => ({
      next,
      return: async () => {
        stopped = true;
        wake();
        return { done: true, value: undefined };
      },
    }),
  };

  const scanOptions =
    options.sizeBytes === undefined
      ? { signal: options.signal }
      : { signal: options.signal, sizeBytes: options.sizeBytes };
  const verdict = Promise.resolve()
    .then(() => options.scanner.scan(source, scanOptions))
    .then(checked, (error: unknown) => ({
      status: 'unavailable' as const,
      reason: `the scanner failed: ${error instanceof Error ? error.message : String(error)}`,
    }))
    .then((v): ScanVerdict => {
      answered = true;
      stopped = true;
      wake();
      queue.length = 0;
      queuedBytes = 0;
      const final: ScanVerdict =
        v.status === 'clean' && !endSeen
          ? { status: 'unavailable', reason: 'the scanner answered before reading the whole body' }
          : v;
      if (!ended && !options.signal.aborted) options.onEarlyVerdict(final);
      return final;
    });

  return {
    async push(chunk) {
      if (stopped || answered) return;
      queue.push(chunk);
      queuedBytes += chunk.byteLength;
      wakeConsumer?.();
      while (queuedBytes > maxQueuedBytes && !stopped) {
        await new Promise<void>((resolve) => {
          wakeProducer = resolve;
        });
        wakeProducer = undefined;
      }
    },
    end() {
      ended = true;
      wakeConsumer?.();
    },
    verdict,
    get scannedBytes() {
      return scannedBytes;
    },
  };
}
