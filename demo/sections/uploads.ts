import { deflateSync } from 'node:zlib';
import {
  createMemoryObjectStore,
  createMemoryQuotaStore,
  createUploadPolicy,
  isUploadRejected,
  type UploadPolicy,
} from 'backend-patterns/uploads';
import { createFileTypeDetector } from 'backend-patterns/uploads/file-type';
import { createSharpThumbnailer } from 'backend-patterns/uploads/sharp';
import type { DemoSection } from '../types.js';

const KiB = 1024;
const owner = 'user-7';

/** A plain RGB PNG, encoded here (zlib + CRC-32) so the section depends on no fixture file. */
function png(width: number, height: number): Uint8Array {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = (table[(c ^ b) & 0xff] as number) ^ (c >>> 8);
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
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([x % 256, y % 256, 96], y * (1 + width * 3) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const pdf = new TextEncoder().encode(
  '%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n',
);

/** A request body in 16 KiB chunks; `pulled` counts what the policy actually read. */
function body(bytes: Uint8Array, counter: { pulled: number }, stallAfterBytes = Number.POSITIVE_INFINITY) {
  return (async function* () {
    for (let at = 0; at < bytes.length; at += 16 * KiB) {
      if (at >= stallAfterBytes) await new Promise((resolve) => setTimeout(resolve, 1_000));
      const chunk = bytes.subarray(at, at + 16 * KiB);
      counter.pulled += chunk.length;
      yield chunk;
    }
  })();
}

/** The refusal `attempt` ends in, as "CODE (HTTP nnn)". */
async function refusal(attempt: () => Promise<unknown>): Promise<string> {
  try {
    await attempt();
    return 'accepted (unexpected)';
  } catch (error) {
    if (!isUploadRejected(error)) throw error;
    return `${error.code} (HTTP ${error.httpStatus})`;
  }
}

async function hostile(uploads: UploadPolicy, step: (asked: string, did: string) => void) {
  const spoofed = { pulled: 0 };
  const mismatch = await refusal(() =>
    uploads.proxy({
      owner,
      filename: 'cat.png',
      contentType: 'image/png',
      sizeBytes: pdf.length,
      body: body(pdf, spoofed),
    }),
  );
  step('proxy PDF bytes named cat.png, declared image/png', `${mismatch}; nothing was written to storage`);

  const huge = new Uint8Array(2 * 1024 * KiB);
  huge.set(png(1, 1));
  const tooLarge = { pulled: 0 };
  const cut = await refusal(() =>
    uploads.proxy({ owner, filename: 'huge.png', contentType: 'image/png', body: body(huge, tooLarge) }),
  );
  step(
    'proxy a 2 MiB PNG without a declared size (limit 1 MiB)',
    `${cut} after reading ${tooLarge.pulled} of ${huge.length} bytes: cut mid-stream, the rest never read`,
  );

  const slow = { pulled: 0 };
  const stalled = await refusal(() =>
    uploads.proxy({
      owner,
      filename: 'slow.png',
      contentType: 'image/png',
      body: body(huge.subarray(0, 64 * KiB), slow, 32 * KiB),
    }),
  );
  step('a client that stalls mid-body (idle limit 200 ms)', `${stalled} after ${slow.pulled} bytes`);

  const svg = new TextEncoder().encode(
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
  );
  const noSvg = await refusal(() =>
    uploads.startDirect({ owner, filename: 'logo.svg', contentType: 'image/svg+xml', sizeBytes: svg.length }),
  );
  step('start an SVG upload (SVG not allowed)', noSvg);

  const quota = await refusal(() =>
    uploads.startDirect({
      owner,
      filename: 'scan.pdf',
      contentType: 'application/pdf',
      sizeBytes: 4 * 1024 * KiB,
    }),
  );
  step('start a 4 MiB upload against the 4 MiB quota, files already stored', `${quota}`);
}

/** The uploads card: direct and proxied uploads, magic bytes over names, size cut mid-stream, quota. */
export const uploadsSection: DemoSection = {
  title: 'UploadPolicy (file and media uploads)',
  problem:
    'accept files directly to storage or through the server, never trusting the name, the type or the size the client gives',
  async run({ metrics, step }) {
    const storage = createMemoryObjectStore();
    const quotaStore = createMemoryQuotaStore();
    const uploads = createUploadPolicy({
      storage,
      types: { 'image/png': { maxBytes: 1024 * KiB }, 'application/pdf': {} },
      maxBytes: 10 * 1024 * KiB,
      detector: createFileTypeDetector(),
      quota: { store: quotaStore, limitBytes: 4 * 1024 * KiB },
      thumbnails: {
        thumbnailer: createSharpThumbnailer(),
        sizes: [{ name: 'small', maxWidth: 48, maxHeight: 48 }],
      },
      serving: { cdnBaseUrl: 'https://cdn.example.com' },
      idleTimeoutMs: 200,
      metrics,
    });

    const ticket = await uploads.startDirect({
      owner,
      filename: 'invoice.pdf',
      contentType: 'application/pdf',
      sizeBytes: pdf.length,
      mode: 'put',
    });
    if (ticket.mode !== 'put') throw new Error('asked for a presigned PUT');
    // An HTTP client sends the Content-Length of the body it really sends.
    const more = new Uint8Array(pdf.length + 1);
    const bigger = storage.receivePut(
      ticket.put.url,
      { ...ticket.put.headers, 'content-length': `${more.length}` },
      more,
    );
    step(
      `presign a PUT for a ${pdf.length}-byte PDF, then send ${pdf.length + 1} bytes to it`,
      bigger.ok
        ? 'accepted (unexpected)'
        : `the store answers ${bigger.status} ${bigger.code}: the length is part of the signature`,
    );
    const sent = storage.receivePut(ticket.put.url, ticket.put.headers, pdf);
    const direct = await uploads.finalize(owner, ticket.uploadId);
    step(
      `send the ${pdf.length} declared bytes (HTTP ${sent.status}), then finalize`,
      `HEAD, sniff and copy: ${direct.sizeBytes} bytes of ${direct.contentType} at ${await uploads.url(direct)}`,
    );

    const image = png(320, 240);
    const proxied = await uploads.proxy({
      owner,
      filename: '../../avatar.png',
      contentType: 'image/png',
      sizeBytes: image.length,
      body: body(image, { pulled: 0 }),
    });
    const thumb = proxied.thumbnails[0];
    step(
      `proxy a ${image.length}-byte 320x240 PNG named ../../avatar.png`,
      `stored as ${proxied.contentType} named "${proxied.filename}"; thumbnail ${thumb?.width}x${thumb?.height} px`,
    );

    await hostile(uploads, step);
    const usage = await quotaStore.usage(owner, Date.now());
    const left = await storage.list('quarantine/');
    step(
      'what is left',
      `${usage.usedBytes} bytes charged, ${usage.reservedBytes} bytes reserved, ${left.length} objects in quarantine`,
    );
  },
};
