/**
 * The peer of the proxied upload: what an app writes without the policy. The request body is cut into
 * parts of the same size as ours and sent with @aws-sdk/client-s3's UploadPart, then
 * CompleteMultipartUpload; no checks (no size limit, no sniffing, no quota, no quarantine, no copy).
 * It gets the same pipelining as ours, so the comparison measures the checks, not a design difference:
 * two part buffers used in turn, one part uploading while the next fills, and reading waits for the
 * upload in flight (backpressure to the client). Any failure aborts the multipart upload.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/** Where and how the plain pipe writes. */
export interface PlainTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly partSizeBytes: number;
}

/** Streams `body` into a multipart upload at `target.key`; resolves the bytes stored. */
export async function plainUpload(target: PlainTarget, body: AsyncIterable<Uint8Array>): Promise<number> {
  const { client, bucket: Bucket, key: Key, partSizeBytes } = target;
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket, Key, ContentType: target.contentType }),
  );
  const UploadId = created.UploadId;
  if (UploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
  const parts: { PartNumber: number; ETag: string }[] = [];
  const buffers = [new Uint8Array(partSizeBytes), new Uint8Array(partSizeBytes)];
  let current = 0;
  let filled = 0;
  let total = 0;
  let inFlight: Promise<void> | undefined;
  const send = async (bytes: Uint8Array) => {
    if (inFlight !== undefined) await inFlight;
    const PartNumber = parts.length + 1;
    parts.push({ PartNumber, ETag: '' });
    inFlight = client
      .send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          Body: bytes,
          ContentLength: bytes.length,
        }),
      )
      .then((out) => {
        if (out.ETag === undefined) throw new Error(`UploadPart ${PartNumber} returned no ETag`);
        parts[PartNumber - 1] = { PartNumber, ETag: out.ETag };
      });
    // Awaited by the next send or at the end; a failure must not be an unhandled rejection meanwhile.
    inFlight.catch(() => {});
  };
  try {
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        const buffer = buffers[current] as Uint8Array;
        const take = Math.min(partSizeBytes - filled, chunk.byteLength - offset);
        buffer.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        total += take;
        if (filled === partSizeBytes) {
          await send(buffer);
          current = 1 - current;
          filled = 0;
        }
      }
    }
    if (filled > 0 || parts.length === 0) await send((buffers[current] as Uint8Array).subarray(0, filled));
    await inFlight;
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
    );
    return total;
  } catch (error) {
    await inFlight?.catch(() => {});
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
    throw error;
  }
}
