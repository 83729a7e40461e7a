/**
 * The uploads bench's backends: a throwaway radosgw (test/support/radosgw.ts; bluestore by default, so a
 * 1 GiB object sits on disk, not in the OSD's RAM) with one bucket, and clamd when it is installed
 * (test/support/clamd.ts, its StreamMaxLength raised to the largest scanned body). The bench's own S3
 * client empties the bucket between uploads, outside every measurement.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { type Clamd, clamdMissing, startClamd } from '../../test/support/clamd.js';
import { type Radosgw, startRadosgw } from '../../test/support/radosgw.js';
import type { ServerConfig } from './server.js';
import { MAX_UPLOAD_BYTES, type UploadsBenchSettings } from './settings.js';

/** The running backends. */
export interface BenchServices {
  readonly radosgw: Radosgw;
  readonly bucket: string;
  /** Undefined when clamd is off or not installed (see {@link BenchServices.clamdNote}). */
  readonly clamd: Clamd | undefined;
  /** Why there is no clamd, when there is none. */
  readonly clamdNote: string | undefined;
  /** The largest body clamd accepts (StreamMaxLength = MaxFileSize = MaxScanSize). */
  readonly scanMaxBytes: number;
  /** The server's configuration on these backends. */
  serverConfig(partSizeBytes: number): ServerConfig;
  /** Objects and multipart uploads left in the bucket. */
  leftovers(): Promise<{ objects: string[]; uploads: string[] }>;
  /** Deletes every object and aborts every multipart upload in the bucket. */
  empty(): Promise<void>;
  /** Empties and deletes the bucket, stops clamd and radosgw. */
  stop(): Promise<void>;
}

async function startScanner(settings: UploadsBenchSettings, scanMaxBytes: number) {
  if (settings.clamd === 'off') return { clamd: undefined, note: 'BENCH_UPLOADS_CLAMD=off' };
  const missing = clamdMissing();
  if (missing !== undefined) {
    if (settings.clamd === 'on') throw new Error(missing);
    return { clamd: undefined, note: missing };
  }
  const clamd = await startClamd({
    streamMaxBytes: scanMaxBytes,
    maxFileBytes: scanMaxBytes,
    maxScanBytes: scanMaxBytes,
    // The bench's bodies come at disk speed; clamd's 120 s default would do, this is headroom.
    extraConfig: ['ReadTimeout 600', 'CommandReadTimeout 600'],
  });
  return { clamd, note: undefined };
}

/** Starts radosgw (and clamd unless off or missing) and creates the bucket. */
export async function startBenchServices(settings: UploadsBenchSettings): Promise<BenchServices> {
  const radosgw = await startRadosgw({
    objectstore: settings.objectstore,
    // Sparse: only written blocks take disk; room for a few GiB before garbage collection frees them.
    blockBytes: 16 * 1024 ** 3,
    startTimeoutMs: 120_000,
  });
  let clamd: Clamd | undefined;
  try {
    const client = new S3Client({
      endpoint: radosgw.endpoint,
      region: radosgw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: radosgw.accessKeyId, secretAccessKey: radosgw.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const bucket = `bp-bench-${randomBytes(4).toString('hex')}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const scanMaxBytes = Math.min(MAX_UPLOAD_BYTES, Math.max(settings.roundBytes, settings.warmupBytes) + 1);
    const scanner = await startScanner(settings, scanMaxBytes);
    clamd = scanner.clamd;
    const leftovers = async () => {
      const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return {
        objects: (objects.Contents ?? []).map((o) => o.Key ?? ''),
        uploads: (uploads.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`),
      };
    };
    const empty = async () => {
      // A bench run leaves a handful of keys: one page each is all there is.
      const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const o of objects.Contents ?? [])
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const u of uploads.Uploads ?? [])
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
        );
    };
    return {
      radosgw,
      bucket,
      clamd,
      clamdNote: scanner.note,
      scanMaxBytes,
      serverConfig: (partSizeBytes) => ({
        endpoint: radosgw.endpoint,
        accessKeyId: radosgw.accessKeyId,
        secretAccessKey: radosgw.secretAccessKey,
        bucket,
        partSizeBytes,
        maxBytes: MAX_UPLOAD_BYTES,
        ...(clamd === undefined ? {} : { clamd: { port: clamd.port, maxScanBytes: scanMaxBytes } }),
      }),
      leftovers,
      empty,
      async stop() {
        await empty().catch(() => {});
        await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
        client.destroy();
        await clamd?.stop();
        await radosgw.stop();
      },
    };
  } catch (error) {
    await clamd?.stop();
    await radosgw.stop();
    throw error;
  }
}
