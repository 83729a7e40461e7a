/**
 * The memory store's side of a presigned request: what S3 does when a client uses the URL. Each
 * `receive*` checks the signature, the expiry and the signed conditions against what the client really
 * sent, and answers as S3 would (status and S3 error code), storing nothing when it refuses.
 */
import { createHash } from 'node:crypto';
import { checkPostPolicy } from './memory-store-post.js';
import {
  lowerHeaders,
  metadataOf,
  type ParsedUrl,
  parseStoreUrl,
  Q,
  type Signer,
  sortedEntries,
} from './memory-store-signing.js';
import { type MemoryState, storeObject, storePart } from './memory-store-state.js';

/**
 * What the store answered a presigned request: S3's status and, on a refusal, S3's error code
 * (`SignatureDoesNotMatch`, `AccessDenied` for an expired URL or a form outside its policy,
 * `EntityTooLarge` / `EntityTooSmall`, `BadDigest`, `IncompleteBody`, `NoSuchUpload`, `NoSuchKey`).
 */
export type MemoryReceiveResult =
  | { readonly ok: true; readonly status: 200 | 204; readonly etag: string }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** A served GET: the body and the headers S3 would send. */
export type MemoryGetResult =
  | {
      readonly ok: true;
      readonly status: 200;
      readonly body: Uint8Array;
      readonly contentType: string | undefined;
      readonly contentDisposition: string | undefined;
    }
  | Extract<MemoryReceiveResult, { ok: false }>;

type Refusal = Extract<MemoryReceiveResult, { ok: false }>;

/** A refusal as S3 words it. */
export const refuse = (status: number, code: string, message: string): Refusal => ({
  ok: false,
  status,
  code,
  message,
});

const FOREIGN = refuse(400, 'InvalidURI', 'not a URL of this store');
const MISMATCH = refuse(403, 'SignatureDoesNotMatch', 'the signature does not match the request');
const EXPIRED = refuse(403, 'AccessDenied', 'Request has expired');

/** Reads op, expiry and signature of a store URL, or the refusal. */
function authorise(
  state: MemoryState,
  signer: Signer,
  parsed: ParsedUrl | undefined,
  op: string,
  signed: (parsed: ParsedUrl, expiresAtMs: number) => readonly unknown[],
): Refusal | ParsedUrl {
  if (parsed === undefined || parsed.query.get(Q.op) !== op) return FOREIGN;
  const expiresAtMs = Number(parsed.query.get(Q.expires));
  const signature = parsed.query.get(Q.signature) ?? '';
  if (!Number.isSafeInteger(expiresAtMs) || !signer.verify(signed(parsed, expiresAtMs), signature)) {
    return MISMATCH;
  }
  if (state.clock.now() > expiresAtMs) return EXPIRED;
  return parsed;
}

/** The parts a PUT URL signs: key, expiry, type, exact length, checksum, metadata. */
export function putSignedParts(
  key: string,
  expiresAtMs: number,
  contentType: string,
  contentLength: number,
  checksum: string,
  metadata: Readonly<Record<string, string>>,
): readonly unknown[] {
  return ['put', key, expiresAtMs, contentType, contentLength, checksum, sortedEntries(metadata)];
}

/** Receives a presigned PUT. `headers` as the client sent them; the length is the body's. */
export function receivePut(
  state: MemoryState,
  signer: Signer,
  baseUrl: string,
  input: { url: string; headers: unknown; body: Uint8Array },
): MemoryReceiveResult {
  if (!(input.body instanceof Uint8Array)) return refuse(400, 'IncompleteBody', 'the body must be bytes');
  const headers = lowerHeaders(input.headers);
  const length = input.body.byteLength;
  const declared = headers['content-length'];
  if (declared !== undefined && declared !== String(length)) {
    return refuse(400, 'IncompleteBody', 'Content-Length differs from the body');
  }
  const contentType = headers['content-type'] ?? '';
  const checksum = headers['x-amz-checksum-sha256'] ?? '';
  const metadata = metadataOf(headers);
  const checked = authorise(state, signer, parseStoreUrl(baseUrl, input.url), 'put', (p, exp) =>
    putSignedParts(p.key, exp, contentType, length, checksum, metadata),
  );
  if ('ok' in checked) return checked;
  if (checksum !== '' && createHash('sha256').update(input.body).digest('base64') !== checksum) {
    return refuse(400, 'BadDigest', 'the body does not match x-amz-checksum-sha256');
  }
  if (length > state.limits.maxSinglePutBytes) return refuse(400, 'EntityTooLarge', 'body too large');
  const info = storeObject(state, checked.key, input.body, {
    contentType: contentType === '' ? undefined : contentType,
    contentDisposition: undefined,
    metadata,
  });
  return { ok: true, status: 200, etag: info.etag ?? '' };
}

/**
 * The parts an UploadPart URL signs: key, expiry, upload, part number and, when signed, the exact
 * length (`undefined` when not: such a URL takes any size up to the part limit).
 */
export function partSignedParts(
  key: string,
  expiresAtMs: number,
  uploadId: string | null,
  partNumber: string | null,
  contentLength: number | undefined,
): readonly unknown[] {
  const base = ['part', key, expiresAtMs, uploadId, partNumber];
  return contentLength === undefined ? base : [...base, contentLength];
}

/**
 * Receives a presigned UploadPart. A URL whose length is signed refuses a body of another length as
 * S3 does (403 SignatureDoesNotMatch: the length is part of what was signed).
 */
export function receivePart(
  state: MemoryState,
  signer: Signer,
  baseUrl: string,
  input: { url: string; body: Uint8Array },
): MemoryReceiveResult {
  if (!(input.body instanceof Uint8Array)) return refuse(400, 'IncompleteBody', 'the body must be bytes');
  const length = input.body.byteLength;
  const checked = authorise(state, signer, parseStoreUrl(baseUrl, input.url), 'part', (p, exp) =>
    partSignedParts(
      p.key,
      exp,
      p.query.get(Q.uploadId),
      p.query.get(Q.partNumber),
      p.query.has(Q.length) ? length : undefined,
    ),
  );
  if ('ok' in checked) return checked;
  const upload = state.uploads.get(checked.query.get(Q.uploadId) ?? '');
  if (upload === undefined || upload.key !== checked.key) {
    return refuse(404, 'NoSuchUpload', 'the upload does not exist (aborted or completed)');
  }
  const stored = storePart(upload, state.limits, Number(checked.query.get(Q.partNumber)), input.body);
  if (!stored.ok) return refuse(400, stored.code, 'part too large');
  return { ok: true, status: 200, etag: stored.etag };
}

/** Receives a presigned POST form: `fields` in form order, then the file. */
export function receivePost(
  state: MemoryState,
  signer: Signer,
  baseUrl: string,
  input: { url: string; fields: unknown; file: Uint8Array },
): MemoryReceiveResult {
  if (input.url !== `${baseUrl}/`) return FOREIGN;
  if (!(input.file instanceof Uint8Array)) return refuse(400, 'IncompleteBody', 'the file must be bytes');
  const checked = checkPostPolicy(state.clock.now(), signer, input.fields, input.file.byteLength);
  if (!checked.ok) return checked;
  const { fields } = checked;
  const info = storeObject(state, fields.key as string, input.file, {
    contentType: fields['content-type'],
    contentDisposition: undefined,
    metadata: metadataOf(fields),
  });
  return { ok: true, status: 204, etag: info.etag ?? '' };
}

/** Serves a signed GET URL (the demo's download route). */
export function receiveGet(
  state: MemoryState,
  signer: Signer,
  baseUrl: string,
  url: string,
): MemoryGetResult {
  const checked = authorise(state, signer, parseStoreUrl(baseUrl, url), 'get', (p, exp) => [
    'get',
    p.key,
    exp,
    p.query.get('response-content-disposition'),
    p.query.get('response-content-type'),
  ]);
  if ('ok' in checked) return checked;
  const object = state.objects.get(checked.key);
  if (object === undefined) return refuse(404, 'NoSuchKey', 'The specified key does not exist.');
  return {
    ok: true,
    status: 200,
    body: Uint8Array.from(object.bytes),
    contentType: checked.query.get('response-content-type') ?? object.contentType,
    contentDisposition: checked.query.get('response-content-disposition') ?? object.contentDisposition,
  };
}
