/**
 * One connection to clamd, for one command. It ends exactly once, with the first of: a NUL-terminated
 * reply, a failure (refused, reset, closed without a reply, a reply too long to be clamd's, a deadline),
 * or the caller's abort; then the socket is destroyed. Writes respect the socket's backpressure: `send`
 * waits for `drain` when `write` says the kernel buffer is full, so memory holds one chunk, not the file.
 */
import { connect, type Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { ClamdAddress } from './clamav-options.js';
import { chunkHeader, END_OF_STREAM, MAX_REPLY_BYTES, quoteReply } from './clamav-protocol.js';

/** How a session ended. */
export type SessionEnd =
  | { readonly kind: 'reply'; readonly text: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'aborted' };

/** Deadlines of a session, ms. */
export interface SessionTimeouts {
  readonly connectTimeoutMs: number;
  /** clamd takes no bytes while some wait to be sent. */
  readonly idleTimeoutMs: number;
  /** No reply this long after `finish()`. */
  readonly replyTimeoutMs: number;
}

/** An open (or opening) conversation with clamd. */
export interface ClamdSession {
  /** True once connected; false when the session ended first. */
  readonly connected: Promise<boolean>;
  /** Settles when the session ends (never rejects). */
  readonly ended: Promise<SessionEnd>;
  /** The end, once there is one. */
  end(): SessionEnd | undefined;
  /**
   * Calls `listener` when the session ends (at once when it has); returns the unsubscribe function.
   * Per-wait listeners instead of `Promise.race` with `ended`: every race would stay referenced from
   * `ended` until the session ends, and with it the chunk it resolved to (a 200 MiB stream kept whole).
   */
  onEnd(listener: (end: SessionEnd) => void): () => void;
  /**
   * Writes one INSTREAM chunk (length and bytes). When the socket buffer is full it waits for `drain` (or
   * the end of the session). The write itself happens in a `setImmediate` callback, right after the event
   * loop polled the socket: clamd's early reply (its size limit) is then read before a write meets the
   * connection clamd closed, where Node would destroy the socket on EPIPE with the reply unread. The
   * window left between the poll and the write is small, not zero: then the verdict is `unavailable`.
   */
  sendChunk(bytes: Uint8Array): Promise<void>;
  /** Sends the zero-length chunk and starts the reply deadline. */
  finish(): void;
  /** Ends the session now as a failure with `reason` (no-op once ended). */
  fail(reason: string): void;
}

function connectionFailure(error: NodeJS.ErrnoException, address: ClamdAddress): string {
  const where = address.kind === 'tcp' ? `${address.host}:${address.port}` : address.path;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `clamd refused the connection at ${where}`;
    case 'ENOENT':
      return `no clamd socket at ${where}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `clamd reset the connection (${error.code})`;
    default:
      return `connection to clamd at ${where} failed (${error.code ?? error.message})`;
  }
}

/** A NUL-terminated reply read from chunks: `push` returns the text once the NUL arrived. */
function replyReader() {
  const received: Buffer[] = [];
  let receivedBytes = 0;
  return {
    push(data: Buffer): string | undefined {
      const nul = data.indexOf(0);
      received.push(nul === -1 ? data : data.subarray(0, nul));
      receivedBytes += nul === -1 ? data.length : nul;
      return nul === -1 ? undefined : Buffer.concat(received).toString('latin1');
    },
    bytes: () => receivedBytes,
    partial: () => Buffer.concat(received).toString('latin1'),
  };
}

/**
 * Deadlines on the injected clock: `arm(ms, reason)` calls `expire(reason)` after `ms` unless the
 * returned function disarms it first; aborting every controller in `live` disarms them all.
 */
function deadlines(clock: Clock, expire: (reason: string) => void, live: Set<AbortController>) {
  return (ms: number, reason: string) => {
    const timer = new AbortController();
    live.add(timer);
    clock.sleep(ms, timer.signal).then(
      () => expire(reason),
      () => {},
    );
    return () => {
      timer.abort();
      live.delete(timer);
    };
  };
}

function connectTo(address: ClamdAddress): Socket {
  return address.kind === 'unix'
    ? connect({ path: address.path })
    : connect({ host: address.host, port: address.port });
}

/** Connects to clamd and writes `command` (queued by the socket until connected). */
export function openSession(
  address: ClamdAddress,
  command: Uint8Array,
  timeouts: SessionTimeouts,
  clock: Clock,
  signal?: AbortSignal,
): ClamdSession {
  const socket = connectTo(address);
  let ending: SessionEnd | undefined;
  let resolveEnded: (end: SessionEnd) => void = () => {};
  const ended = new Promise<SessionEnd>((resolve) => {
    resolveEnded = resolve;
  });
  let wakeDrain: (() => void) | undefined;
  const timers = new Set<AbortController>();
  const listeners = new Set<(end: SessionEnd) => void>();
  const onAbort = () => settle({ kind: 'aborted' });
  const settle = (end: SessionEnd) => {
    if (ending) return;
    ending = end;
    for (const timer of timers) timer.abort();
    timers.clear();
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
    wakeDrain?.();
    resolveEnded(end);
    for (const listener of listeners) listener(end);
    listeners.clear();
  };
  const arm = deadlines(clock, (reason) => settle({ kind: 'failed', reason }), timers);

  const reply = replyReader();
  socket.on('data', (data: Buffer) => {
    const read = reply.push(data);
    if (read !== undefined) settle({ kind: 'reply', text: read });
    else if (reply.bytes() > MAX_REPLY_BYTES) {
      settle({ kind: 'failed', reason: `clamd sent ${reply.bytes()} bytes without ending its reply` });
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) =>
    settle({ kind: 'failed', reason: connectionFailure(error, address) }),
  );
  socket.on('close', () => {
    const partial = reply.bytes() ? `: ${quoteReply(reply.partial())}` : '';
    settle({ kind: 'failed', reason: `clamd closed the connection without a complete reply${partial}` });
  });
  socket.on('drain', () => wakeDrain?.());

  const disarmConnect = arm(
    timeouts.connectTimeoutMs,
    `no connection to clamd within ${timeouts.connectTimeoutMs} ms`,
  );
  const connected = new Promise<boolean>((resolve) => {
    socket.once('connect', () => {
      disarmConnect();
      resolve(true);
    });
    void ended.then(() => resolve(false));
  });
  if (signal?.aborted) settle({ kind: 'aborted' });
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (!ending) socket.write(command);

  return {
    connected,
    ended,
    end: () => ending,
    onEnd(listener) {
      if (ending) {
        listener(ending);
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    sendChunk(bytes) {
      return new Promise<void>((resolve) => {
        setImmediate(() => {
          if (ending) return resolve();
          socket.cork();
          socket.write(chunkHeader(bytes.byteLength));
          const room = socket.write(bytes);
          socket.uncork();
          if (room) return resolve();
          const disarm = arm(timeouts.idleTimeoutMs, `clamd took no bytes for ${timeouts.idleTimeoutMs} ms`);
          wakeDrain = () => {
            wakeDrain = undefined;
            disarm();
            resolve();
          };
        });
      });
    },
    finish() {
      if (ending) return;
      socket.write(END_OF_STREAM);
      arm(timeouts.replyTimeoutMs, `clamd did not answer within ${timeouts.replyTimeoutMs} ms`);
    },
    fail: (reason) => settle({ kind: 'failed', reason }),
  };
}
