/**
 * One pull interface over the three kinds of request body a proxied upload accepts: a Node `Readable`
 * (an `IncomingMessage`), a web `ReadableStream`, or any async iterable of `Uint8Array` chunks.
 *
 * Why not just `for await`: the pipeline must be able to stop reading at any moment without draining or
 * destroying the body (a refused upload still has to answer 413 on the same connection), notice a client
 * that went away while it is busy writing a part (not only at the next read), and abandon a read that
 * never resolves (a stalled client) without hanging on the iterator's serialised `return()`.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** A pull reader over a request body. */
export interface ChunkReader {
  /** The next chunk, or `undefined` at the end. Rejects when the source fails or closes before its end. */
  read(): Promise<Uint8Array | undefined>;
  /**
   * Stops reading for good: listeners are removed; a Node stream is left paused (never destroyed or
   * drained: the caller still owns the connection), an async iterator is asked to `return()`, a web
   * stream is cancelled. Safe to call twice and while a read is pending.
   */
  release(): void;
}

/** Options of {@link openChunkReader}. */
export interface ChunkReaderHooks {
  /**
   * Called once, as soon as the source fails or closes before its end, even when nobody is reading
   * (the pipeline is busy uploading a part); `error` is what the source reported.
   */
  readonly onFailure: (error: unknown) => void;
}

/** The subset of a Node `Readable` the reader uses (duck-typed so a second copy of `stream` works too). */
interface NodeReadableLike {
  read(): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  pause(): unknown;
  readonly readableEnded?: boolean;
  readonly destroyed?: boolean;
  readonly errored?: unknown;
}

interface WebStreamLike {
  getReader(): {
    read(): Promise<{ done: boolean; value?: unknown }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

const isNodeReadable = (s: unknown): s is NodeReadableLike =>
  typeof s === 'object' &&
  s !== null &&
  typeof (s as NodeReadableLike).read === 'function' &&
  typeof (s as NodeReadableLike).on === 'function' &&
  typeof (s as NodeReadableLike).off === 'function' &&
  typeof (s as NodeReadableLike).pause === 'function';

const isWebStream = (s: unknown): s is WebStreamLike =>
  typeof s === 'object' && s !== null && typeof (s as WebStreamLike).getReader === 'function';

const isAsyncIterable = (s: unknown): s is AsyncIterable<unknown> =>
  typeof s === 'object' &&
  s !== null &&
  typeof (s as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

/** A chunk must be bytes: a string (a stream with `setEncoding`) or an object is a caller bug, typed. */
function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new InvalidArgumentError(
    `uploads: a body chunk must be a Uint8Array, got ${chunk === null ? 'null' : typeof chunk}`,
  );
}

/** Opens a reader over `source`; anything that is not one of the three kinds is ERR_INVALID_ARGUMENT. */
export function openChunkReader(source: unknown, hooks: ChunkReaderHooks): ChunkReader {
  if (isNodeReadable(source)) return nodeReader(source, hooks);
  if (isWebStream(source)) return webReader(source);
  if (isAsyncIterable(source)) return iterableReader(source);
  throw new InvalidArgumentError(
    'uploads: `body` must be a Node Readable, a web ReadableStream or an async iterable of Uint8Array',
  );
}

/** Error of a body that closed before its end without saying why (the socket went away). */
export class PrematureCloseError extends Error {
  constructor() {
    super('the request body closed before its end');
    this.name = 'PrematureCloseError';
  }
}

function nodeReader(stream: NodeReadableLike, hooks: ChunkReaderHooks): ChunkReader {
  let ended = stream.readableEnded === true;
  let failure: unknown;
  let released = false;
  let wake: (() => void) | undefined;

  const fail = (error: unknown) => {
    if (failure !== undefined || ended || released) return;
    failure = error ?? new PrematureCloseError();
    hooks.onFailure(failure);
    wake?.();
  };
  const onReadable = () => wake?.();
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (error: unknown) => fail(error);
  // `aborted` (IncomingMessage) and a `close` before `end` are both a client that went away.
  const onAborted = () => fail(new PrematureCloseError());
  const onClose = () => {
    if (!ended) fail(stream.errored ?? new PrematureCloseError());
  };
  const listeners: [string, (...args: unknown[]) => void][] = [
    ['readable', onReadable],
    ['end', onEnd],
    ['error', onError],
    ['aborted', onAborted],
    ['close', onClose],
  ];
  for (const [event, listener] of listeners) stream.on(event, listener);
  if (!ended && stream.destroyed === true) fail(stream.errored ?? new PrematureCloseError());

  return {
    async read() {
      for (;;) {
        if (failure !== undefined) throw failure;
        if (released) return undefined;
        const chunk = stream.read();
        if (chunk !== null && chunk !== undefined) return asBytes(chunk);
        if (ended) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
    release() {
      if (released) return;
      released = true;
      for (const [event, listener] of listeners) stream.off(event, listener);
      // Keep an `error` listener: an error after we stopped must not crash the process.
      stream.on('error', () => {});
      stream.pause();
      wake?.();
    },
  };
}

function webReader(stream: WebStreamLike): ChunkReader {
  const reader = stream.getReader();
  let released = false;
  return {
    async read() {
      if (released) return undefined;
      const { done, value } = await reader.read();
      return done ? undefined : asBytes(value);
    },
    release() {
      if (released) return;
      released = true;
      reader.cancel().catch(() => {});
    },
  };
}

function iterableReader(source: AsyncIterable<unknown>): ChunkReader {
  // Made on the first read, so an iterator that throws when created fails like one that throws later
  // (a source error, typed by the pipeline), not as an untyped error out of the policy.
  let iterator: AsyncIterator<unknown> | undefined;
  let released = false;
  let done = false;
  return {
    async read() {
      if (released || done) return undefined;
      iterator ??= source[Symbol.asyncIterator]();
      const step = await iterator.next();
      if (step.done === true) {
        done = true;
        return undefined;
      }
      return asBytes(step.value);
    },
    release() {
      if (released) return;
      released = true;
      // Not awaited: an async generator queues return() behind a pending next() that may never settle.
      if (!done) iterator?.return?.()?.catch(() => {});
    },
  };
}
