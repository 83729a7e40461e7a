/**
 * Part assembly: chunks of any size (1 byte, 64 KiB, 100 MiB) re-cut into parts of exactly `partSizeBytes`
 * (the last one smaller) and written, in order, through a {@link MultipartWriter}.
 *
 * Memory: at most one part being filled plus one part being uploaded, so about 2 × `partSizeBytes` per
 * upload, whatever the body's size. When the part being filled is full while the previous one is still
 * uploading, `push` waits for that upload: the caller stops reading the source, and the pressure of a slow
 * store reaches the client through TCP. The source is therefore never more than about two parts ahead of
 * the store.
 *
 * Buffers: two part buffers, used in turn (the writer port lets the caller reuse a part's bytes once
 * `writePart` settled). Fresh buffers per part would leave the freeing to the garbage collector, which
 * lags behind external memory: 512 MiB through fresh 8 MiB parts grew RSS by about 63 MiB where the two
 * reused buffers stay near 2 parts. The first buffer grows from 64 KiB by doubling, so a small upload does
 * not allocate a whole part; once one part has filled, buffers are full-size.
 *
 * The writer is opened lazily, with the first part: an empty or refused body never opens a multipart upload.
 */
import type { MultipartWriter, ObjectInfo } from './types.js';

const FIRST_CAPACITY_BYTES = 64 * 1024;

/** Options of {@link createPartAssembler}. */
export interface PartAssemblerOptions {
  readonly partSizeBytes: number;
  /** Opens the multipart upload; called once, when the first part is ready. */
  readonly openWriter: () => Promise<MultipartWriter>;
  /** Called once when a background part upload fails (so the pipeline stops reading at once). */
  readonly onFailure: (error: unknown) => void;
  /** The second abort, after the part in flight settled, failed. */
  readonly onLateAbortFailure?: (error: unknown) => void;
}

/** The part assembler of one body. */
export interface PartAssembler {
  /** Copies `chunk` into parts; waits when a full part cannot be sent yet (backpressure). */
  push(chunk: Uint8Array): Promise<void>;
  /** Sends the last part and waits until every part is stored. */
  flush(): Promise<void>;
  /** Completes the multipart upload (after `flush`). */
  complete(): Promise<ObjectInfo>;
  /**
   * Gives up: no part starts any more, and the multipart upload (if one was opened) is aborted at once,
   * without waiting for a part in flight (a slow or stuck store must not hold the error back). A part
   * in flight may still land after that abort, so once it settled the upload is aborted a second time
   * (the writer allows it); a failure of that late abort goes to `onLateAbortFailure`. Rejects only when
   * the first abort fails.
   */
  abort(): Promise<void>;
  /** The writer, once opened. */
  readonly writer: MultipartWriter | undefined;
  /** Parts handed to the writer, and bytes the store confirmed. */
  readonly partsSent: number;
  readonly storedBytes: number;
}

/** Creates the part assembler of one body. */
export function createPartAssembler(options: PartAssemblerOptions): PartAssembler {
  const { partSizeBytes, openWriter, onFailure } = options;
  let buffer: Uint8Array | undefined;
  let filled = 0;
  let fullSize = false;
  let opening: Promise<MultipartWriter> | undefined;
  let writer: MultipartWriter | undefined;
  let inFlight: Promise<void> | undefined;
  let partInFlight = false;
  // The buffer of the part in flight, and the one free for the next part once that upload settled.
  let inFlightBuffer: Uint8Array | undefined;
  let spare: Uint8Array | undefined;
  let failure: { error: unknown } | undefined;
  let partsSent = 0;
  let storedBytes = 0;
  // Set by abort(): a push or send abandoned mid-way by the pipeline must not start a part afterwards.
  let aborted = false;

  const ensureWriter = async () => {
    opening ??= openWriter().then((w) => {
      writer = w;
      return w;
    });
    return opening;
  };

  const send = async (part: Uint8Array) => {
    if (inFlight !== undefined) await inFlight;
    if (inFlightBuffer !== undefined && inFlightBuffer.byteLength === partSizeBytes) spare = inFlightBuffer;
    inFlightBuffer = undefined;
    if (failure !== undefined) throw failure.error;
    const w = await ensureWriter();
    if (aborted) throw new Error('the part assembler was aborted');
    partsSent += 1;
    inFlightBuffer = part;
    partInFlight = true;
    inFlight = w.writePart(part).then(
      () => {
        partInFlight = false;
        storedBytes += part.byteLength;
      },
      (error: unknown) => {
        partInFlight = false;
        failure ??= { error };
        onFailure(error);
      },
    );
  };

  const room = (wanted: number) => {
    if (buffer === undefined && fullSize && spare !== undefined) {
      buffer = spare;
      spare = undefined;
    }
    if (buffer === undefined) {
      buffer = new Uint8Array(fullSize ? partSizeBytes : Math.min(partSizeBytes, FIRST_CAPACITY_BYTES));
    }
    if (buffer.byteLength - filled >= wanted || buffer.byteLength === partSizeBytes) return buffer;
    let capacity = buffer.byteLength;
    while (capacity - filled < wanted && capacity < partSizeBytes) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, partSizeBytes));
    grown.set(buffer.subarray(0, filled));
    buffer = grown;
    return buffer;
  };

  return {
    async push(chunk) {
      if (failure !== undefined) throw failure.error;
      let offset = 0;
      while (offset < chunk.byteLength && !aborted) {
        const target = room(chunk.byteLength - offset);
        const take = Math.min(partSizeBytes - filled, chunk.byteLength - offset, target.byteLength - filled);
        target.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === partSizeBytes) {
          buffer = undefined;
          filled = 0;
          fullSize = true;
          await send(target);
        }
      }
    },
    async flush() {
      if (filled > 0 && buffer !== undefined) {
        const last = buffer.subarray(0, filled);
        buffer = undefined;
        filled = 0;
        await send(last);
      }
      if (inFlight !== undefined) await inFlight;
      if (failure !== undefined) throw failure.error;
    },
    async complete() {
      const w = writer ?? (await ensureWriter());
      return w.complete();
    },
    async abort() {
      aborted = true;
      buffer = undefined;
      filled = 0;
      const w = opening === undefined ? undefined : await opening.catch(() => undefined);
      if (w === undefined) return;
      const pending = partInFlight ? inFlight : undefined;
      await w.abort();
      pending?.then(() => w.abort()).catch((error: unknown) => options.onLateAbortFailure?.(error));
    },
    get writer() {
      return writer;
    },
    get partsSent() {
      return partsSent;
    },
    get storedBytes() {
      return storedBytes;
    },
  };
}
