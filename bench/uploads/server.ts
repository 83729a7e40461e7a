/**
 * The uploads bench's server: a plain `node:http` server, one process (server-process.ts starts it), so
 * its `process.cpuUsage()` and RSS are the server's alone. It imports the package by name, through its
 * self-reference to the built dist/, as an app would. Configuration: the JSON in BENCH_UPLOADS_SERVER
 * ({@link ServerConfig}); the S3 credentials travel there, not in argv.
 *
 * - `PUT /ours?size=N[&scan=1]`: `policy.proxy({ body: req })` (video/mp4 sniffed by file-type, memory
 *   quota, quarantine then promote; `scan=1`: the policy whose scanner is clamd) → 200
 *   `{ key, sizeBytes, scan, tailMs }` (`tailMs`: from the body's last byte to the answer).
 * - `PUT /plain?size=N`: the peer (plain.ts) → 200 `{ key, sizeBytes, tailMs }`.
 * - `POST /direct/start?size=N` → `{ uploadId, url, headers }` (a presigned PUT);
 *   `POST /direct/finalize?id=ID` → the stored file (HEAD, ranged GET sniff, copy, delete).
 * - `GET /_stats` → `{ cpuUs, rssBytes, peakRssBytes }`; `POST /_peak` resets the peak first (Linux's
 *   `clear_refs`, so VmHWM becomes the peak since then; where that is refused, a 10 ms RSS sampler).
 * A refusal is its `httpStatus` with `{ code }` and `Connection: close`. Prints `ready <port>`; exits on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import {
  createMemoryQuotaStore,
  createUploadPolicy,
  isUploadRejected,
  type UploadPolicy,
} from 'backend-patterns/uploads';
import { createClamavScanner } from 'backend-patterns/uploads/clamav';
import { createFileTypeDetector } from 'backend-patterns/uploads/file-type';
import { createS3ObjectStore } from 'backend-patterns/uploads/s3';
import { PAYLOAD_TYPE } from './client.js';
import { plainUpload } from './plain.js';

/** What the server is given (BENCH_UPLOADS_SERVER). */
export interface ServerConfig {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly partSizeBytes: number;
  readonly maxBytes: number;
  /** clamd for the `scan=1` policy; its scanner's maxScanBytes. */
  readonly clamd?: { readonly port: number; readonly maxScanBytes: number };
}

const config = JSON.parse(process.env.BENCH_UPLOADS_SERVER ?? 'null') as ServerConfig | null;
if (config === null) throw new Error('server: BENCH_UPLOADS_SERVER (JSON) is required');

const client = new S3Client({
  endpoint: config.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const storage = createS3ObjectStore({ client, bucket: config.bucket });
const quota = { store: createMemoryQuotaStore(), limitBytes: 2 ** 40 };

function policy(scan: boolean): UploadPolicy {
  const clamd = config?.clamd;
  return createUploadPolicy({
    storage,
    types: { [PAYLOAD_TYPE]: {} },
    detector: createFileTypeDetector(),
    maxBytes: config?.maxBytes,
    partSizeBytes: config?.partSizeBytes,
    quota,
    ...(scan && clamd
      ? {
          scan: {
            scanner: createClamavScanner({
              port: clamd.port,
              maxScanBytes: clamd.maxScanBytes,
              scanTimeoutMs: 600_000,
            }),
          },
        }
      : {}),
  });
}
const plainPolicy = policy(false);
const scanPolicy = config.clamd ? policy(true) : undefined;
const OWNER = 'bench-user';

/** Peak RSS since the last reset: VmHWM after `clear_refs` where Linux allows it, else sampled. */
const peak = (() => {
  const hwm = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  let sampled = 0;
  let sampler: NodeJS.Timeout | undefined;
  return {
    reset() {
      try {
        writeFileSync('/proc/self/clear_refs', '5');
        if (Number.isFinite(hwm())) return;
      } catch {
        // Not Linux, or not allowed: sample instead.
      }
      sampled = process.memoryUsage.rss();
      sampler ??= setInterval(() => {
        sampled = Math.max(sampled, process.memoryUsage.rss());
      }, 10);
    },
    read: () => (sampler === undefined ? hwm() : Math.max(sampled, process.memoryUsage.rss())),
  };
})();

function stats() {
  const cpu = process.cpuUsage();
  return { cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss(), peakRssBytes: peak.read() };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(value));
}

/** A refusal: the body was not read to its end, so the connection is closed, not kept. */
function refuse(res: ServerResponse, error: unknown): void {
  res.setHeader('connection', 'close');
  if (isUploadRejected(error)) json(res, error.httpStatus, { code: error.code, message: error.message });
  else
    json(res, 500, { code: 'ERR_SERVER', message: String(error instanceof Error ? error.message : error) });
}

/** Time since the request body's last byte arrived, ms: what the upload cost after the client was done. */
function tailTimer(req: IncomingMessage): () => number | null {
  let endedAt: number | undefined;
  req.once('end', () => {
    endedAt = performance.now();
  });
  return () => (endedAt === undefined ? null : performance.now() - endedAt);
}

function sizeOf(url: URL): number {
  const size = Number(url.searchParams.get('size'));
  if (!Number.isSafeInteger(size) || size < 0) throw new Error('size must be a non-negative integer');
  return size;
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = `${req.method} ${url.pathname}`;
  if (path === 'GET /_stats') return json(res, 200, stats());
  if (path === 'POST /_peak') {
    peak.reset();
    return json(res, 200, stats());
  }
  if (path === 'PUT /ours') {
    const scan = url.searchParams.get('scan') === '1';
    const chosen = scan ? scanPolicy : plainPolicy;
    if (chosen === undefined) throw new Error('scan=1 but the server has no clamd');
    const tail = tailTimer(req);
    const file = await chosen.proxy({
      owner: OWNER,
      filename: 'clip.mp4',
      contentType: PAYLOAD_TYPE,
      sizeBytes: sizeOf(url),
      body: req,
    });
    return json(res, 200, { key: file.key, sizeBytes: file.sizeBytes, scan: file.scan, tailMs: tail() });
  }
  if (path === 'PUT /plain') {
    const tail = tailTimer(req);
    const key = `plain/${randomBytes(12).toString('hex')}.mp4`;
    const target = { client, bucket: config!.bucket, key, contentType: PAYLOAD_TYPE };
    const sizeBytes = await plainUpload({ ...target, partSizeBytes: config!.partSizeBytes }, req);
    return json(res, 200, { key, sizeBytes, tailMs: tail() });
  }
  if (path === 'POST /direct/start') {
    const ticket = await plainPolicy.startDirect({
      owner: OWNER,
      filename: 'clip.mp4',
      contentType: PAYLOAD_TYPE,
      sizeBytes: sizeOf(url),
      mode: 'put',
    });
    if (ticket.mode !== 'put') throw new Error(`asked for a PUT, got ${ticket.mode}`);
    return json(res, 200, { uploadId: ticket.uploadId, url: ticket.put.url, headers: ticket.put.headers });
  }
  if (path === 'POST /direct/finalize') {
    const file = await plainPolicy.finalize(OWNER, url.searchParams.get('id') ?? '');
    return json(res, 200, { key: file.key, sizeBytes: file.sizeBytes, scan: file.scan });
  }
  return json(res, 404, { code: 'ERR_NOT_FOUND' });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bench');
  route(req, res, url).catch((error: unknown) => refuse(res, error));
});
// A 1 GiB body at a few MiB/s outlasts Node's default 5-minute requestTimeout.
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  client.destroy();
  process.exit(0);
});
