/**
 * The memory store's presigning: the URLs and forms its `receive*` methods later check. Inputs are
 * validated as the S3 adapter validates them (same errors), so a policy bug shows on memory too.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { signPostPolicy } from './memory-store-post.js';
import { partSignedParts, putSignedParts } from './memory-store-receive.js';
import { encodeKeyPath, Q, type Signer } from './memory-store-signing.js';
import type { MemoryState } from './memory-store-state.js';
import {
  checkBytes,
  checkChecksum,
  checkExpiry,
  checkHeaderValue,
  checkKey,
  checkMetadata,
  checkPartRequest,
} from './s3-rules.js';
import type {
  ObjectStore,
  PresignedPart,
  PresignedPost,
  PresignedPut,
  PresignPostInput,
  PresignPutInput,
  SignedGetOptions,
} from './types.js';

type Presigning = Pick<ObjectStore, 'presignPut' | 'presignPost' | 'presignPart' | 'signedGetUrl'>;

const inputObject = (input: unknown, method: string): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError(`\`${method}\` takes an options object`);
  }
  return input as Record<string, unknown>;
};

function urlOf(base: string, key: string, params: Readonly<Record<string, string>>): string {
  return `${base}/${encodeKeyPath(key)}?${new URLSearchParams(params).toString()}`;
}

/** Presigned PUTs, POSTs, parts and GETs of one memory store. */
export function createMemoryPresigning(state: MemoryState, signer: Signer, base: string): Presigning {
  const expiryOf = (expiresInS: unknown) => state.clock.now() + checkExpiry(expiresInS) * 1000;
  return {
    async presignPut(input: PresignPutInput): Promise<PresignedPut> {
      const i = inputObject(input, 'presignPut');
      const key = checkKey(i.key);
      const contentType = checkHeaderValue(i.contentType, 'contentType');
      const length = checkBytes(i.contentLength, 'contentLength', 0, state.limits.maxSinglePutBytes);
      const checksum = i.checksumSha256 === undefined ? '' : checkChecksum(i.checksumSha256);
      const metadata = checkMetadata(i.metadata);
      const expiresAtMs = expiryOf(i.expiresInS);
      const signature = signer.sign(
        putSignedParts(key, expiresAtMs, contentType, length, checksum, metadata),
      );
      const headers: Record<string, string> = {
        'content-type': contentType,
        'content-length': String(length),
      };
      if (checksum !== '') headers['x-amz-checksum-sha256'] = checksum;
      for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
      const url = urlOf(base, key, {
        [Q.op]: 'put',
        [Q.expires]: String(expiresAtMs),
        [Q.signature]: signature,
      });
      return { method: 'PUT', url, headers, expiresAtMs };
    },
    async presignPost(input: PresignPostInput): Promise<PresignedPost> {
      const i = inputObject(input, 'presignPost');
      const key = checkKey(i.key);
      // Refused as the S3 adapter refuses it (the SDK would make it a starts-with condition).
      if (key.includes('$' + '{filename}'))
        throw new InvalidArgumentError('`key` must not contain the filename variable');
      const contentType = checkHeaderValue(i.contentType, 'contentType');
      const max = state.limits.maxSinglePutBytes;
      const minBytes = checkBytes(i.minBytes, 'minBytes', 0, max);
      const maxBytes = checkBytes(i.maxBytes, 'maxBytes', minBytes, max);
      const metadata = checkMetadata(i.metadata);
      const expiresAtMs = expiryOf(i.expiresInS);
      const fields: Record<string, string> = { key, 'Content-Type': contentType };
      for (const [name, value] of Object.entries(metadata)) fields[`x-amz-meta-${name}`] = value;
      const signed = signPostPolicy(signer, expiresAtMs, fields, [minBytes, maxBytes]);
      return { method: 'POST', url: `${base}/`, fields: signed, expiresAtMs };
    },
    async presignPart(key, uploadId, partNumber, expiresInS, contentLength): Promise<PresignedPart> {
      const length = checkPartRequest(key, uploadId, partNumber, contentLength, state.limits);
      const expiresAtMs = expiryOf(expiresInS);
      const signature = signer.sign(partSignedParts(key, expiresAtMs, uploadId, String(partNumber), length));
      const url = urlOf(base, key, {
        [Q.op]: 'part',
        [Q.uploadId]: uploadId,
        [Q.partNumber]: String(partNumber),
        [Q.expires]: String(expiresAtMs),
        // Says the length is signed (as S3's X-Amz-SignedHeaders does); dropping it breaks the HMAC.
        ...(length === undefined ? {} : { [Q.length]: 'signed' }),
        [Q.signature]: signature,
      });
      const headers: Record<string, string> =
        length === undefined ? {} : { 'content-length': String(length) };
      return { partNumber, url, headers, expiresAtMs };
    },
    async signedGetUrl(key: string, options: SignedGetOptions): Promise<string> {
      checkKey(key);
      const o = inputObject(options, 'signedGetUrl');
      const disposition =
        o.contentDisposition === undefined
          ? null
          : checkHeaderValue(o.contentDisposition, 'contentDisposition');
      const type = o.contentType === undefined ? null : checkHeaderValue(o.contentType, 'contentType');
      const expiresAtMs = expiryOf(o.expiresInS);
      const params: Record<string, string> = { [Q.op]: 'get', [Q.expires]: String(expiresAtMs) };
      if (disposition !== null) params['response-content-disposition'] = disposition;
      if (type !== null) params['response-content-type'] = type;
      params[Q.signature] = signer.sign(['get', key, expiresAtMs, disposition, type]);
      return urlOf(base, key, params);
    },
  };
}
