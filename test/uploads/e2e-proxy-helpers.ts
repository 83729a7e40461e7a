/**
 * The HTTP side of the proxied-upload end-to-end tests: a real `node:http` server on loopback whose
 * handler calls `policy.proxy({ body: req, signal, ... })` and answers the error's `httpStatus` with
 * `Connection: close` (the policy stops reading a refused body and never drains it: the server closes
 * the connection), and a client that streams a body as told (fast, trickling, cut mid-way) and records
 * how much it had sent when the answer came.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUploadRejected } from '../../src/uploads/errors.js';
import type { StoredFile, UploadPolicy } from '../../src/uploads/policy-types.js';

/** What the server's handler saw for one request. */
export interface ServerOutcome {
  readonly status: number;
  readonly code?: string;
  readonly file?: StoredFile;
}

/** A running upload server. */
export interface UploadServer {
  readonly port: number;
  /** Outcomes in arrival order. */
  readonly outcomes: ServerOutcome[];
  /** Resolves with the `n`-th outcome (1-based) once the handler finished it. */
  outcome(n: number): Promise<ServerOutcome>;
  close(): Promise<void>;
}

/** Starts the server; `policyFor(path)` picks the policy of a request (`/fast`, `/slow`). */
export async function startUploadServer(policyFor: (path: string) => UploadPolicy): Promise<UploadServer> {
  const outcomes: ServerOutcome[] = [];
  const waiters: (() => void)[] = [];
  const record = (outcome: ServerOutcome) => {
    outcomes.push(outcome);
    for (const wake of waiters.splice(0)) wake();
  };
  const server: Server = createServer(async (req, res) => {
    const control = new AbortController();
    // The client went away before we answered: cancel the upload.
    res.once('close', () => {
      if (!res.writableEnded) control.abort(new Error('client closed the connection'));
    });
    const length = req.headers['content-length'];
    try {
      const file = await policyFor(req.url ?? '/').proxy({
        owner: String(req.headers['x-owner'] ?? 'user-1'),
        filename: String(req.headers['x-filename'] ?? 'upload.bin'),
        contentType: String(req.headers['content-type'] ?? ''),
        ...(length === undefined ? {} : { sizeBytes: Number(length) }),
        body: req,
        signal: control.signal,
      });
      record({ status: 201, file });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(file));
    } catch (error) {
      const status = isUploadRejected(error) ? error.httpStatus : 500;
      const code = (error as { code?: string }).code ?? 'ERR';
      record({ status, code });
      if (!res.destroyed) {
        res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ code }));
      }
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    outcomes,
    async outcome(n) {
      while (outcomes.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return outcomes[n - 1]!;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How the client sends. */
export interface ClientOptions {
  readonly path?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Destroy the socket once this many bytes were written (a client that goes away). */
  readonly destroyAfterBytes?: number;
}

/** What the client saw. */
export interface ClientResult {
  status?: number;
  body?: { code?: string } & Partial<StoredFile>;
  /** Bytes written when the response arrived (or when it stopped). */
  sentBytes: number;
  /** True when the whole body had been written before the response arrived. */
  finishedSending: boolean;
  error?: Error;
}

/** Sends one upload and resolves when the response ended, or the connection failed or was cut. */
export function sendUpload(port: number, options: ClientOptions): Promise<ClientResult> {
  return new Promise<ClientResult>((resolve) => {
    const result: ClientResult = { sentBytes: 0, finishedSending: false };
    let responded = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(result);
    };
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: options.path ?? '/fast',
      headers: options.headers,
    });
    req.on('response', (res) => {
      responded = true;
      result.status = res.statusCode;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        result.body = text ? (JSON.parse(text) as ClientResult['body']) : undefined;
        finish();
      });
      res.on('error', finish);
    });
    req.on('error', (error) => {
      result.error = error;
      if (!responded) finish();
    });
    (async () => {
      for await (const chunk of options.chunks) {
        if (responded || req.destroyed) return;
        const flushed = req.write(chunk);
        result.sentBytes += chunk.byteLength;
        if (options.destroyAfterBytes !== undefined && result.sentBytes >= options.destroyAfterBytes) {
          req.destroy();
          finish();
          return;
        }
        if (!flushed) await Promise.race([once(req, 'drain'), once(req, 'close')]).catch(() => {});
      }
      if (!responded && !req.destroyed) {
        result.finishedSending = true;
        req.end();
      }
    })().catch((error: unknown) => {
      result.error = error as Error;
      finish();
    });
  });
}

/** `total` bytes in `chunkBytes` chunks, starting with `head`, the rest filled with `fill`. */
export async function* bodyChunks(head: Uint8Array, total: number, chunkBytes = 64 * 1024, fill = 0x41) {
  const filler = new Uint8Array(chunkBytes).fill(fill);
  let sent = 0;
  while (sent < total) {
    const size = Math.min(chunkBytes, total - sent);
    const chunk = sent === 0 ? new Uint8Array(size).fill(fill) : filler.subarray(0, size);
    if (sent === 0) chunk.set(head.subarray(0, size));
    sent += size;
    yield chunk;
  }
}

/** `chunks` one at a time with `delayMs` before each one after the first. */
export async function* trickle(chunks: readonly Uint8Array[], delayMs: number) {
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, delayMs));
    yield chunks[i]!;
  }
}
