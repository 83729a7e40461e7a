/**
 * Test pieces of the proxied-upload pipeline: writers and scanners that implement the real ports
 * (recording, slow, failing, discarding) and body sources that misbehave on purpose (1-byte chunks, one
 * huge chunk, a stall, an error mid-way, a client that goes away).
 */
import { Readable } from 'node:stream';
import { StoreError } from '../../src/core/errors.js';
import type {
  ByteSource,
  MultipartWriter,
  ObjectInfo,
  ScanOptions,
  ScanVerdict,
  VirusScanner,
} from '../../src/uploads/types.js';

/** Options of {@link recordingWriter}. */
export interface RecordingWriterOptions {
  /** Keep the bytes of each part (for content checks). Default true. */
  readonly keepBytes?: boolean;
  /** Wait this long (real timers) in every writePart. */
  readonly partDelayMs?: number;
  /** writePart number `n` (1-based) rejects with a StoreError. */
  readonly failPart?: number;
  /** Called at the start of each writePart with the part's size. */
  readonly onPart?: (sizeBytes: number) => void;
}

/** A MultipartWriter that records what it was given. */
export interface RecordingWriter extends MultipartWriter {
  readonly parts: Uint8Array[];
  readonly partSizes: number[];
  readonly completed: number;
  readonly aborted: number;
  /** Parts whose writePart started after abort() (must stay 0). */
  readonly writesAfterAbort: number;
  readonly body: () => Uint8Array;
}

export function recordingWriter(options: RecordingWriterOptions = {}): RecordingWriter {
  const parts: Uint8Array[] = [];
  const partSizes: number[] = [];
  let completed = 0;
  let aborted = 0;
  let writesAfterAbort = 0;
  const keep = options.keepBytes ?? true;
  return {
    key: 'quarantine/test',
    uploadId: 'upload-1',
    async writePart(bytes) {
      if (aborted > 0) writesAfterAbort += 1;
      options.onPart?.(bytes.byteLength);
      if (options.partDelayMs !== undefined) await new Promise((r) => setTimeout(r, options.partDelayMs));
      if (options.failPart === partSizes.length + 1) {
        partSizes.push(-1);
        throw new StoreError('part refused');
      }
      partSizes.push(bytes.byteLength);
      if (keep) parts.push(bytes.slice());
    },
    async complete(): Promise<ObjectInfo> {
      completed += 1;
      const sizeBytes = partSizes.reduce((a, b) => a + Math.max(0, b), 0);
      return {
        key: 'quarantine/test',
        sizeBytes,
        contentType: 'application/octet-stream',
        etag: '"x"',
        metadata: {},
      };
    },
    async abort() {
      aborted += 1;
    },
    parts,
    partSizes,
    get completed() {
      return completed;
    },
    get aborted() {
      return aborted;
    },
    get writesAfterAbort() {
      return writesAfterAbort;
    },
    body: () => Buffer.concat(parts),
  };
}

/** Options of {@link testScanner}. */
export interface TestScannerOptions {
  readonly maxScanBytes?: number;
  /** Wait this long (real timers) after each chunk it pulls. */
  readonly chunkDelayMs?: number;
  /** Answer this at once, without reading. */
  readonly answerAtOnce?: ScanVerdict;
  /** Throw instead of answering. */
  readonly throws?: boolean;
}

/** A scanner (a real VirusScanner) that flags bodies containing `VIRUS` and counts what it read. */
export function testScanner(options: TestScannerOptions = {}): VirusScanner & {
  readonly readBytes: number;
  readonly calls: number;
  readonly lastOptions: ScanOptions | undefined;
} {
  let readBytes = 0;
  let calls = 0;
  let lastOptions: ScanOptions | undefined;
  const maxScanBytes = options.maxScanBytes ?? 1 << 30;
  return {
    name: 'test',
    maxScanBytes,
    async scan(source: ByteSource, scanOptions?: ScanOptions): Promise<ScanVerdict> {
      calls += 1;
      lastOptions = scanOptions;
      if (options.throws === true) throw new Error('scanner exploded');
      if (options.answerAtOnce !== undefined) return options.answerAtOnce;
      if (scanOptions?.sizeBytes !== undefined && scanOptions.sizeBytes > maxScanBytes) {
        return { status: 'too_large', limitBytes: maxScanBytes };
      }
      let tail = '';
      for await (const chunk of source) {
        readBytes += chunk.byteLength;
        const text = tail + Buffer.from(chunk).toString('latin1');
        if (text.includes('VIRUS')) return { status: 'infected', signature: 'Test.Virus' };
        tail = text.slice(-4);
        if (readBytes > maxScanBytes) return { status: 'too_large', limitBytes: maxScanBytes };
        if (options.chunkDelayMs !== undefined) await new Promise((r) => setTimeout(r, options.chunkDelayMs));
      }
      return { status: 'clean' };
    },
    get readBytes() {
      return readBytes;
    },
    get calls() {
      return calls;
    },
    get lastOptions() {
      return lastOptions;
    },
  };
}

/** Bytes 0, 1, 2, … 250, 0, … (a prime period, so a misplaced slice shows). */
export function patternBytes(length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) % 251;
  return out;
}

/** An async generator of the given chunks. */
export async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** `total` bytes of the pattern, `chunkBytes` at a time. */
export async function* patternSource(total: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < total; offset += chunkBytes) {
    yield patternBytes(Math.min(chunkBytes, total - offset), offset);
  }
}

/** A Readable that sends `bytes` and then neither data nor end (a stalled client). */
export function stallingReadable(bytes: Uint8Array): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.from(bytes));
      }
    },
  });
}

/** A Readable that sends `bytes` and then fails with `error`. */
export function failingReadable(bytes: Uint8Array, error: Error): Readable {
  let step = 0;
  return new Readable({
    read() {
      step += 1;
      if (step === 1) this.push(Buffer.from(bytes));
      else setImmediate(() => this.destroy(error));
    },
  });
}

/** Flushes pending microtasks and immediates a few times. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
