/**
 * The in-memory {@link ObjectStore}: objects and multipart uploads in a Map, presigned URLs it signs
 * with its own HMAC and checks itself. A client's side of a presigned request goes through `receivePut`,
 * `receivePost`, `receivePart` (and `receiveGet` for signed downloads), which refuse exactly what S3
 * refuses: another Content-Type or length than signed (parts too), a changed URL, an expired one, a form
 * outside its policy, a short non-last part at completion; reads and copies with `ifMatch` of a replaced
 * object are `PreconditionFailed`. So a policy runs whole in tests and demos without S3.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { createMemoryOperations } from './memory-store-ops.js';
import {
  type MemoryGetResult,
  type MemoryReceiveResult,
  receiveGet,
  receivePart,
  receivePost,
  receivePut,
} from './memory-store-receive.js';
import { createSigner } from './memory-store-signing.js';
import type { MemoryState } from './memory-store-state.js';
import { parseMultipartLimits } from './s3-rules.js';
import type { MultipartLimits, ObjectStore } from './types.js';

export type { MemoryGetResult, MemoryReceiveResult } from './memory-store-receive.js';
export { objectStoreErrorCode, S3_MULTIPART_LIMITS } from './s3-rules.js';

/** Options of {@link createMemoryObjectStore}. */
export interface MemoryObjectStoreOptions {
  /** Time of expiries and `lastModifiedMs`. Default the system clock. */
  readonly clock?: Clock;
  /** Default S3's (5 MiB minimum part, 5 GiB maximum, 10,000 parts, 5 GiB single PUT); tests lower them. */
  readonly multipartLimits?: Partial<MultipartLimits>;
  /** Prefix of the URLs it issues, no trailing slash. Default `http://memory-object-store.invalid`. */
  readonly baseUrl?: string;
}

/** The memory store: an {@link ObjectStore} plus the server side of its presigned URLs. */
export interface MemoryObjectStore extends ObjectStore {
  /** A client PUTs `body` to a presigned PUT URL with `headers` (names in any case). */
  receivePut(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array): MemoryReceiveResult;
  /** A client POSTs a form: `fields` (the presigned ones, possibly altered), then the file's bytes. */
  receivePost(url: string, fields: Readonly<Record<string, string>>, file: Uint8Array): MemoryReceiveResult;
  /**
   * A client PUTs one part to a presigned UploadPart URL. When the URL was presigned with a
   * `contentLength`, a body of another length is 403 `SignatureDoesNotMatch` (as on S3), nothing stored.
   */
  receivePart(url: string, body: Uint8Array): MemoryReceiveResult;
  /** A client GETs a signed GET URL. */
  receiveGet(url: string): MemoryGetResult;
}

const parse = defineOptions('createMemoryObjectStore', {
  clock: opt.clock(),
  multipartLimits: { parse: (v: unknown) => parseMultipartLimits('createMemoryObjectStore', v) },
  baseUrl: opt.matching(
    /^[a-z][a-z0-9+.-]*:\/\/[^\s?#]*[^\s?#/]$/i,
    'an absolute URL without query or trailing slash',
    {
      default: 'http://memory-object-store.invalid',
    },
  ),
});

/**
 * Creates an in-memory object store. Its URLs are valid only for this instance (the HMAC key is
 * random per store).
 *
 * @example
 * ```ts
 * const store = createMemoryObjectStore({ multipartLimits: { minPartBytes: 1024 } });
 * const put = await store.presignPut({ key: 'q/a.png', contentType: 'image/png', contentLength: 3, expiresInS: 60 });
 * const answer = store.receivePut(put.url, put.headers, new Uint8Array([1, 2, 3])); // { ok: true, status: 200, ... }
 * ```
 */
export function createMemoryObjectStore(options: MemoryObjectStoreOptions = {}): MemoryObjectStore {
  const o = parse(options);
  const state: MemoryState = {
    name: 'memory',
    clock: o.clock,
    limits: o.multipartLimits,
    objects: new Map(),
    uploads: new Map(),
  };
  const signer = createSigner(randomBytes(32));
  const base = o.baseUrl;
  return {
    ...createMemoryOperations(state, signer, base),
    receivePut: (url, headers, body) => receivePut(state, signer, base, { url, headers, body }),
    receivePost: (url, fields, file) => receivePost(state, signer, base, { url, fields, file }),
    receivePart: (url, body) => receivePart(state, signer, base, { url, body }),
    receiveGet: (url) => receiveGet(state, signer, base, url),
  };
}
