/**
 * A signed S3 request as a probe: ListBuckets with SigV4 credentials. An S3 that answers it proves it
 * checks nothing yet; the service spec also sends a wrong secret and requires a refusal, so a server that
 * accepts any signature (s3rver) never passes as "the S3 of the tests".
 */
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

/** Where an S3 endpoint is and which credentials sign for it. */
export interface S3Target {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
}

/** A client as the tests use it: path style, us-east-1, checksums only when an operation needs them. */
export function s3ClientFor(target: S3Target, timeoutMs = 5000): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // radosgw 16.2 refuses the aws-chunked trailer the SDK sends with streamed bodies since 3.729.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
}

/** True when a signed ListBuckets succeeds. */
export async function signedListBucketsOk(target: S3Target, timeoutMs = 5000): Promise<boolean> {
  const client = s3ClientFor(target, timeoutMs);
  try {
    await client.send(new ListBucketsCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** The status a ListBuckets signed with a wrong secret gets: 403 from a server that checks SigV4. */
export async function wrongSecretStatus(target: S3Target, timeoutMs = 5000): Promise<number | undefined> {
  const client = s3ClientFor({ ...target, secretAccessKey: `${target.secretAccessKey}x` }, timeoutMs);
  try {
    await client.send(new ListBucketsCommand({}));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  } finally {
    client.destroy();
  }
}
