/**
 * The bench's HTTP client: it sends an upload body as a client would, with a Content-Length and TCP
 * backpressure, from the bench process (the server is a process of its own, so its CPU is its own).
 *
 * Every body is the same bytes: an MP4 `ftyp` box (what the sniffer must find, and a format clamd does not
 * unpack) followed by a fixed pseudo-random 1 MiB block, repeated and cut to the size.
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const BLOCK_BYTES = 1024 * 1024;
/** The MIME type of every body. */
export const PAYLOAD_TYPE = 'video/mp4';
/** An MP4's first box: size 24, `ftyp`, brand `isom`, minor version 512, compatible `isom iso2 mp41`. */
const FTYP = Buffer.concat([
  Buffer.from([0, 0, 0, 24]),
  Buffer.from('ftypisom', 'latin1'),
  Buffer.from([0, 0, 2, 0]),
  Buffer.from('isomiso2mp41', 'latin1'),
]);

let blocks: { first: Buffer; rest: Buffer } | undefined;

/** The two 1 MiB blocks (xorshift32 from a fixed seed: the same bytes on every run). */
function payloadBlocks(): { first: Buffer; rest: Buffer } {
  if (blocks) return blocks;
  const rest = Buffer.alloc(BLOCK_BYTES);
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK_BYTES; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    rest.writeUInt32LE(x >>> 0, i);
  }
  const first = Buffer.from(rest);
  FTYP.copy(first, 0);
  blocks = { first, rest };
  return blocks;
}

/** The chunks of a `sizeBytes` body (views of the shared blocks, never copies). */
export function* payloadChunks(sizeBytes: number, head: 'mp4' | 'spoofed' = 'mp4'): Generator<Buffer> {
  const { first, rest } = payloadBlocks();
  let sent = 0;
  while (sent < sizeBytes) {
    // A spoofed body starts like the rest: random bytes, no format the sniffer knows.
    const block = sent === 0 && head === 'mp4' ? first : rest;
    const take = Math.min(BLOCK_BYTES, sizeBytes - sent);
    yield block.subarray(0, take);
    sent += take;
  }
}

/** What a request came to. */
export interface Sent {
  /** HTTP status; 0 when the client cut the body and no answer came. */
  readonly status: number;
  readonly body: string;
  /** From the request's start to the end of the answer, ms. */
  readonly ms: number;
}

/** Options of {@link sendBody}. */
export interface SendOptions {
  readonly method: 'PUT' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly sizeBytes: number;
  readonly head?: 'mp4' | 'spoofed';
  /** Sends this many bytes of the declared `sizeBytes`, then destroys the connection (a client gone). */
  readonly cutAfterBytes?: number;
}

/** Sends one body to `url` on a connection of its own; resolves to the answer. */
export function sendBody(url: string, options: SendOptions): Promise<Sent> {
  const started = performance.now();
  const req = request(url, {
    method: options.method,
    agent: false,
    headers: { ...options.headers, 'content-length': String(options.sizeBytes) },
  });
  const answered = new Promise<Sent>((resolve, reject) => {
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        body += text;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
      res.once('error', reject);
    });
    // After an answer this is a no-op; a server that closes the connection early answers first.
    req.once('error', (error) =>
      options.cutAfterBytes === undefined
        ? reject(error)
        : resolve({ status: 0, body: '', ms: performance.now() - started }),
    );
  });
  const sizeBytes = options.cutAfterBytes ?? options.sizeBytes;
  const chunks = Readable.from(payloadChunks(sizeBytes, options.head));
  pipeline(chunks, req, { end: options.cutAfterBytes === undefined }).then(
    () => {
      if (options.cutAfterBytes !== undefined) req.destroy(new Error('cut by the bench client'));
    },
    // A server that refused the body closes the connection: the write fails, the answer tells why.
    () => {},
  );
  return answered;
}
