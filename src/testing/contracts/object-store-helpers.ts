/**
 * Shared pieces of the ObjectStore contract: the subject's shape (a store and a way to act as the
 * client of its presigned URLs), byte helpers, and assertions on refusals and store errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isBackendPatternsError } from '../../core/errors.js';
import type { ManualClock } from '../../core/manual-clock.js';
import { type ByteSource, type ObjectStore, objectStoreErrorCode } from '../../uploads/index.js';
import type { ContractFixture } from './test-api.js';
import { withFixture } from './test-api.js';

/** What the store's server answered a client request (an HTTP status, and the ETag header when sent). */
export interface ClientAnswer {
  readonly status: number;
  readonly etag?: string;
}

/** A served GET. */
export interface ClientGetAnswer {
  readonly status: number;
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly contentDisposition?: string;
}

/**
 * How the contract acts as a browser: S3 adapters send real HTTP (`fetch`), the memory store calls its
 * `receive*` methods. Each sends exactly what it is given (headers, form fields in order, then the file).
 */
export interface ObjectStoreClient {
  put(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array): Promise<ClientAnswer>;
  post(url: string, fields: Readonly<Record<string, string>>, file: Uint8Array): Promise<ClientAnswer>;
  part(url: string, body: Uint8Array): Promise<ClientAnswer>;
  get(url: string): Promise<ClientGetAnswer>;
}

/** The subject of the contract: a fresh store (an empty bucket, or an empty prefix of one) and its client. */
export interface ObjectStoreContractSubject {
  readonly store: ObjectStore;
  readonly send: ObjectStoreClient;
}

/** Options of `objectStoreContract`. */
export interface ObjectStoreContractOptions {
  /** Adapter name shown in test titles. */
  readonly name: string;
  /** A fresh store; `clock` drives its expiries when `clockDrivesExpiry` is true. */
  setup(
    clock: ManualClock,
  ): ContractFixture<ObjectStoreContractSubject> | Promise<ContractFixture<ObjectStoreContractSubject>>;
  /**
   * True when the store's expiry follows the clock handed to `setup` (the memory store): the contract
   * then moves it to expire URLs. False for a real server, whose time is its own: those tests are left
   * out (the S3 suite signs in the past instead).
   */
  readonly clockDrivesExpiry: boolean;
  /**
   * False when the server stores a body whose `x-amz-checksum-sha256` does not match (radosgw 16.2
   * ignores the header; AWS S3 checks it): the contract then only checks that the right body passes.
   * Default true.
   */
  readonly verifiesChecksums?: boolean;
  /** Per-test timeout passed to the runner, ms. Default 20,000. */
  readonly timeoutMs?: number;
}

/** A test body on a fresh subject, with a fresh key prefix for this test. */
export type StoreBody = (
  subject: ObjectStoreContractSubject,
  prefix: string,
  clock: ManualClock,
) => Promise<void>;

/** Wraps a {@link StoreBody} for the runner. */
export function runner(options: ObjectStoreContractOptions) {
  return (body: StoreBody) =>
    withFixture(options.setup, (subject, clock) =>
      body(subject, `contract/${randomBytes(6).toString('hex')}/`, clock),
    );
}

/** `n` deterministic bytes, different per `seed`. */
export function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Reads a whole byte source. */
export async function collect(source: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Byte equality with a short message (never dumps megabytes). */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

/** The server refused: a 4xx status. */
export function refused(answer: ClientAnswer, what: string): void {
  assert.ok(
    answer.status >= 400 && answer.status < 500,
    `${what}: expected a 4xx refusal, got ${answer.status}`,
  );
}

/** The server accepted: a 2xx status. */
export function accepted(answer: ClientAnswer, what: string): void {
  assert.ok(answer.status >= 200 && answer.status < 300, `${what}: expected 2xx, got ${answer.status}`);
}

/** Rejects with the core `StoreError`, with the S3 error code `code` when given. */
export async function rejectsStore(promise: Promise<unknown>, code?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isBackendPatternsError(error, 'ERR_STORE'), `expected ERR_STORE, got ${String(error)}`);
    if (code !== undefined) assert.equal(objectStoreErrorCode(error), code, (error as Error).message);
    return true;
  });
}

/** Rejects with `ERR_INVALID_ARGUMENT`. */
export async function rejectsArgument(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isBackendPatternsError(error, 'ERR_INVALID_ARGUMENT'));
}

/**
 * Changes one character of the signature parameter of `url`, on the raw string (re-serialising the URL
 * could change the encoding of other parameters, and the test would pass for the wrong reason).
 */
export function tamperSignature(url: string): string {
  const match = /([?&][A-Za-z-]*signature=)([^&])/i.exec(url);
  if (match === null) throw new Error('no signature parameter in the URL');
  const at = match.index + (match[1] as string).length;
  const flipped = url[at] === 'a' ? 'b' : 'a';
  return url.slice(0, at) + flipped + url.slice(at + 1);
}

/** Keys S3 users trip over: unicode, spaces, `+`, `%`, reserved URL characters. */
export const AWKWARD_KEYS = [
  'unicode/naïve café/東京 🚀.txt',
  'spaces/a b  c.bin',
  'plus/a+b+c.txt',
  'percent/100% real %2F not a slash.txt',
  "reserved/q?x=1&y=#frag;'(!)*,@$.txt",
] as const;
