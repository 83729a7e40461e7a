/**
 * Presigning on S3. A PUT signs `content-type` and `content-length` (the presigner leaves both out
 * unless asked: then a wrong type or size would pass), and keeps `x-amz-checksum-sha256` and the
 * `x-amz-meta-*` headers as headers (hoisted to the query they are not enforced on the body). The
 * headers the client must send are read back from `X-Amz-SignedHeaders`, so nothing signed is missed.
 * A POST policy pins the exact key, the exact Content-Type, each metadata field and the length range.
 */
import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidArgumentError } from '../core/errors.js';
import {
  checkBytes,
  checkChecksum,
  checkExpiry,
  checkHeaderValue,
  checkKey,
  checkMetadata,
  checkPartRequest,
  storeFailure,
} from './s3-rules.js';
import type { S3Context } from './s3-store.js';
import type { ObjectStore, PresignedPut } from './types.js';

type Presigning = Pick<ObjectStore, 'presignPut' | 'presignPost' | 'presignPart' | 'signedGetUrl'>;

const SIGNED = new Set(['content-type', 'content-length']);
/** A part has no type of its own (the SDK would sign a default one the client does not send). */
const PART_SIGNED = new Set(['content-length']);

/** The POST-policy variable the SDK turns into a `starts-with` key condition. */
const FILENAME_VARIABLE = '$' + '{filename}';

const inputObject = (input: unknown, method: string): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError(`\`${method}\` takes an options object`);
  }
  return input as Record<string, unknown>;
};

/** The headers a signed URL requires, from its `X-Amz-SignedHeaders`, valued from `known`. */
function signedHeadersOf(
  url: string,
  known: Readonly<Record<string, string>>,
  op = 'presignPut',
): Record<string, string> {
  const names = (new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    if (name === '' || name === 'host') continue;
    const value = known[name];
    // A header the SDK signed that we cannot give the client would make every upload fail: say so now.
    if (value === undefined) throw storeFailure('s3', op, 'UnexpectedSignedHeader', name);
    headers[name] = value;
  }
  return headers;
}

/** The presigning calls of one S3 store. */
export function createS3Presigning(s3: S3Context): Presigning {
  const { bucket } = s3;
  const options = (expiresInS: number, extra: object = {}) => ({
    expiresIn: expiresInS,
    signingDate: new Date(s3.clock.now()),
    ...extra,
  });
  return {
    async presignPut(input): Promise<PresignedPut> {
      const i = inputObject(input, 'presignPut');
      const key = checkKey(i.key);
      const contentType = checkHeaderValue(i.contentType, 'contentType');
      const length = checkBytes(i.contentLength, 'contentLength', 0, s3.limits.maxSinglePutBytes);
      const checksum = i.checksumSha256 === undefined ? undefined : checkChecksum(i.checksumSha256);
      const metadata = checkMetadata(i.metadata);
      const expiresInS = checkExpiry(i.expiresInS);
      const expiresAtMs = s3.clock.now() + expiresInS * 1000;
      const known: Record<string, string> = { 'content-type': contentType, 'content-length': String(length) };
      if (checksum !== undefined) known['x-amz-checksum-sha256'] = checksum;
      for (const [name, value] of Object.entries(metadata)) known[`x-amz-meta-${name}`] = value;
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: contentType,
        ContentLength: length,
        ...(checksum === undefined ? {} : { ChecksumSHA256: checksum }),
        Metadata: { ...metadata },
      });
      const unhoistable = new Set(Object.keys(known).filter((name) => name.startsWith('x-amz-')));
      const url = await s3.call('presignPut', (client) =>
        getSignedUrl(
          client,
          command,
          options(expiresInS, { signableHeaders: SIGNED, unhoistableHeaders: unhoistable }),
        ),
      );
      return { method: 'PUT', url, headers: signedHeadersOf(url, known), expiresAtMs };
    },
    async presignPost(input) {
      const i = inputObject(input, 'presignPost');
      const key = checkKey(i.key);
      // The SDK turns a key ending in the filename variable into a starts-with condition: the key must be exact.
      if (key.includes(FILENAME_VARIABLE)) {
        throw new InvalidArgumentError(`\`key\` must not contain ${FILENAME_VARIABLE}`);
      }
      const contentType = checkHeaderValue(i.contentType, 'contentType');
      const max = s3.limits.maxSinglePutBytes;
      const minBytes = checkBytes(i.minBytes, 'minBytes', 0, max);
      const maxBytes = checkBytes(i.maxBytes, 'maxBytes', minBytes, max);
      const metadata = checkMetadata(i.metadata);
      const expiresInS = checkExpiry(i.expiresInS);
      const expiresAtMs = s3.clock.now() + expiresInS * 1000;
      // Every entry of Fields becomes an exact-match condition of the policy (the SDK does that).
      const fields: Record<string, string> = { 'Content-Type': contentType };
      for (const [name, value] of Object.entries(metadata)) fields[`x-amz-meta-${name}`] = value;
      const post = await s3.call('presignPost', (client) =>
        createPresignedPost(client, {
          Bucket: bucket,
          Key: key,
          Conditions: [['content-length-range', minBytes, maxBytes]],
          Fields: fields,
          Expires: expiresInS,
        }),
      );
      return { method: 'POST' as const, url: post.url, fields: post.fields, expiresAtMs };
    },
    async presignPart(key, uploadId, partNumber, expiresInS, contentLength) {
      const length = checkPartRequest(key, uploadId, partNumber, contentLength, s3.limits);
      const expiry = checkExpiry(expiresInS);
      const command = new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        ...(length === undefined ? {} : { ContentLength: length }),
      });
      // With a length, `content-length` is signed: S3 refuses a part of any other size (403).
      const extra = length === undefined ? {} : { signableHeaders: PART_SIGNED };
      const url = await s3.call('presignPart', (client) =>
        getSignedUrl(client, command, options(expiry, extra)),
      );
      const known: Record<string, string> = length === undefined ? {} : { 'content-length': String(length) };
      return {
        partNumber,
        url,
        headers: signedHeadersOf(url, known, 'presignPart'),
        expiresAtMs: s3.clock.now() + expiry * 1000,
      };
    },
    async signedGetUrl(key, getOptions) {
      checkKey(key);
      const o = inputObject(getOptions, 'signedGetUrl');
      const expiry = checkExpiry(o.expiresInS);
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(o.contentDisposition === undefined
          ? {}
          : { ResponseContentDisposition: checkHeaderValue(o.contentDisposition, 'contentDisposition') }),
        ...(o.contentType === undefined
          ? {}
          : { ResponseContentType: checkHeaderValue(o.contentType, 'contentType') }),
      });
      return s3.call('signedGetUrl', (client) => getSignedUrl(client, command, options(expiry)));
    },
  };
}
