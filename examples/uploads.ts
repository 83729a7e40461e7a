/**
 * Uploads end to end: a direct upload (presigned PUT, the client's PUT, then finalize), the same URL
 * refused when the client sends more bytes than it declared, a proxied upload of a generated PNG, a
 * spoofed file (PDF bytes sent as `cat.png`) refused before anything is stored, a quota refusal, and
 * the metrics. In memory by default: the memory store plays S3's part through its `receivePut`.
 * `--s3` runs on the S3 (or radosgw) of S3_URL (`http://ACCESS:SECRET@host:port`) in a throwaway bucket,
 * with real HTTP PUTs; `--clamd` scans with the clamd of CLAMD_URL (`tcp://host:port`) and adds an
 * EICAR test file.
 *
 *   npm run example -- uploads [--s3] [--clamd]
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createMemoryMetrics } from 'backend-patterns/testing';
import {
  createMemoryObjectStore,
  createMemoryQuotaStore,
  createUploadPolicy,
  isUploadRejected,
  type ObjectStore,
  type PresignedPut,
  type UploadPolicy,
} from 'backend-patterns/uploads';
import { createClamavScanner } from 'backend-patterns/uploads/clamav';
import { createFileTypeDetector } from 'backend-patterns/uploads/file-type';
import { createS3ObjectStore } from 'backend-patterns/uploads/s3';

const KiB = 1024;
const owner = 'user-42';

/** How the client sends a presigned PUT: to the memory store's receivePut, or over HTTP to S3. */
type SendPut = (put: PresignedPut, body: Uint8Array) => Promise<{ status: number; code?: string }>;

interface Backend {
  readonly label: string;
  readonly storage: ObjectStore;
  readonly sendPut: SendPut;
  close(): Promise<void>;
}

function memoryBackend(): Backend {
  const storage = createMemoryObjectStore();
  return {
    label: 'memory',
    storage,
    sendPut: async (put, body) => {
      // As an HTTP client does: Content-Length is the length of the body actually sent.
      const headers = { ...put.headers, 'content-length': String(body.length) };
      const answer = storage.receivePut(put.url, headers, body);
      return answer.ok ? { status: answer.status } : { status: answer.status, code: answer.code };
    },
    close: async () => {},
  };
}

async function s3Backend(): Promise<Backend> {
  const url = new URL(process.env.S3_URL ?? 'http://test:testsecret@127.0.0.1:7480');
  const client = new S3Client({
    endpoint: `${url.protocol}//${url.host}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: decodeURIComponent(url.username),
      secretAccessKey: decodeURIComponent(url.password),
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `bp-example-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const storage = createS3ObjectStore({ client, bucket });
  return {
    label: `S3 at ${url.host}, bucket ${bucket}`,
    storage,
    sendPut: async (put, body) => {
      // fetch sets Content-Length from the body itself, as any HTTP client does.
      const { 'content-length': _signed, ...headers } = put.headers;
      const response = await fetch(put.url, { method: 'PUT', headers, body });
      const text = await response.text();
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      return code === undefined ? { status: response.status } : { status: response.status, code };
    },
    close: async () => {
      for (const upload of await storage.listMultipartUploads('')) {
        await storage.abortMultipart(upload.key, upload.uploadId);
      }
      for (const object of await storage.list('')) await storage.delete(object.key);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

function scannerFromEnv() {
  if (!process.argv.includes('--clamd')) return undefined;
  const url = new URL(process.env.CLAMD_URL ?? 'tcp://127.0.0.1:3310');
  return createClamavScanner({ host: url.hostname, port: Number(url.port || 3310) });
}

/** A small RGB PNG (a gradient), encoded here so the example needs no image library. */
function gradientPng(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set([x * 4, y * 4, 128], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const pdf = new TextEncoder().encode(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n',
);

/** A request body as a server sees it: chunks from a stream. */
const bodyOf = (bytes: Uint8Array) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / (16 * KiB)) }, (_, i) =>
      bytes.subarray(i * 16 * KiB, (i + 1) * 16 * KiB),
    ),
  );

/** Runs `attempt` and prints the refusal it must end in. */
async function refused(label: string, attempt: () => Promise<unknown>) {
  try {
    await attempt();
    console.log(`${label}: accepted (unexpected)`);
  } catch (error) {
    if (!isUploadRejected(error)) throw error;
    const signature = error.details.signature === undefined ? '' : ` (${error.details.signature})`;
    console.log(`${label} → ${error.code} (HTTP ${error.httpStatus}): ${error.message}${signature}`);
  }
}

async function direct(uploads: UploadPolicy, backend: Backend) {
  const ticket = await uploads.startDirect({
    owner,
    filename: 'invoice-2026-11.pdf',
    contentType: 'application/pdf',
    sizeBytes: pdf.length,
    mode: 'put',
  });
  if (ticket.mode !== 'put') throw new Error('asked for a PUT');
  console.log(
    `direct: ticket ${ticket.uploadId} → PUT ${ticket.key}, signed headers ${Object.keys(ticket.put.headers).join(', ')}`,
  );
  const bigger = await backend.sendPut(ticket.put, new Uint8Array(pdf.length + 100));
  console.log(
    `direct: the same URL with ${pdf.length + 100} bytes instead of ${pdf.length} → ${bigger.status} ${bigger.code ?? ''}`,
  );
  const sent = await backend.sendPut(ticket.put, pdf);
  console.log(`direct: the client's PUT of ${pdf.length} bytes → ${sent.status}`);
  const file = await uploads.finalize(owner, ticket.uploadId);
  console.log(
    `direct: finalized ${file.filename}: ${file.sizeBytes} bytes of ${file.contentType} at ${file.key}, scan ${file.scan}`,
  );
  console.log(`direct: served at ${await uploads.url(file, 'public')}`);
}

async function proxied(uploads: UploadPolicy) {
  const png = gradientPng(64, 64);
  const file = await uploads.proxy({
    owner,
    filename: '../../avatar.png',
    contentType: 'image/png',
    sizeBytes: png.length,
    body: bodyOf(png),
  });
  console.log(
    `proxied: ${png.length} bytes streamed → ${file.key} as ${file.contentType}, name kept as "${file.filename}"`,
  );
}

async function hostile(uploads: UploadPolicy, storage: ObjectStore, scanning: boolean) {
  await refused('spoofed: PDF bytes sent as cat.png (image/png)', () =>
    uploads.proxy({
      owner,
      filename: 'cat.png',
      contentType: 'image/png',
      sizeBytes: pdf.length,
      body: bodyOf(pdf),
    }),
  );
  const quarantined = await storage.list('quarantine/');
  const open = await storage.listMultipartUploads('quarantine/');
  console.log(
    `after the refusal: ${quarantined.length} objects in quarantine, ${open.length} open multipart uploads`,
  );
  if (scanning) {
    // The EICAR test file, assembled at run time so this source file is not itself flagged.
    const eicar = `X5O!P%@AP[4\\PZX54(P^)7CC)7}$${'EICAR'}-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`;
    const bytes = new TextEncoder().encode(eicar);
    await refused('EICAR as notes.txt', () =>
      uploads.proxy({
        owner,
        filename: 'notes.txt',
        contentType: 'text/plain',
        sizeBytes: bytes.length,
        body: bodyOf(bytes),
      }),
    );
  }
  await refused('a 100 KiB upload, with files already stored, against a 100 KiB quota', () =>
    uploads.startDirect({ owner, filename: 'big.pdf', contentType: 'application/pdf', sizeBytes: 100 * KiB }),
  );
}

async function main() {
  const backend = process.argv.includes('--s3') ? await s3Backend() : memoryBackend();
  const scanner = scannerFromEnv();
  const metrics = createMemoryMetrics();
  const quotaStore = createMemoryQuotaStore();
  const uploads = createUploadPolicy({
    storage: backend.storage,
    types: { 'image/png': { maxBytes: 5 * 1024 * KiB }, 'application/pdf': {}, 'text/plain': {} },
    maxBytes: 10 * 1024 * KiB,
    detector: createFileTypeDetector(),
    quota: { store: quotaStore, limitBytes: 100 * KiB },
    ...(scanner === undefined ? {} : { scan: { scanner } }),
    serving: { cdnBaseUrl: 'https://cdn.example.com' },
    metrics,
  });
  console.log(`uploads example on ${backend.label}${scanner ? ', scanning with clamd' : ''}`);
  try {
    await direct(uploads, backend);
    await proxied(uploads);
    await hostile(uploads, backend.storage, scanner !== undefined);
    const usage = await quotaStore.usage(owner, Date.now());
    console.log(
      `quota of ${owner}: ${usage.usedBytes} bytes used, ${usage.reservedBytes} bytes reserved, limit ${100 * KiB} bytes`,
    );
    console.log('metrics:');
    for (const m of metrics.snapshot()) {
      const labels = Object.entries(m.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const unit = m.kind === 'histogram' ? 'observations' : m.name === 'uploads.bytes' ? 'bytes' : 'uploads';
      console.log(`  ${m.name}{${labels}}: ${m.value} ${unit}`);
    }
  } finally {
    await backend.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
