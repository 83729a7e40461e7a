/**
 * The cursor codec: `v1.` + base64url(JSON payload) + `.` + base64url(HMAC-SHA256(key, "v1." + payload)).
 * Decoding checks, in order: shape and length, version, key id, signature (constant time), payload
 * structure, expiry, query hash, and finally every sort value against its term's type, so nothing a
 * client sends reaches a source unless we signed it for this very query.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { CursorMismatchError, ExpiredCursorError, InvalidCursorError } from './errors.js';
import { isValueOfType } from './field-values.js';
import type { FieldType, FieldValue, FilterCondition, SortTerm } from './types.js';

/** Longest cursor accepted (and produced). */
export const MAX_CURSOR_LENGTH = 4096;
/** Key ids: short, URL-safe, never secret. */
export const CURSOR_KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

const VERSION = 'v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** base64url of a 32-byte HMAC-SHA256, unpadded. */
const SIGNATURE_LENGTH = 43;
/** base64url of 16 bytes, unpadded. */
const QUERY_HASH_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const PAYLOAD_KEYS = new Set(['k', 's', 'd', 'q', 'n', 't', 'e']);

/** A signing key: `id` travels in the cursor, `secret` (at least 32 bytes) never does. */
export interface CursorKey {
  readonly id: string;
  readonly secret: Uint8Array;
}

/** What a cursor carries. */
export interface CursorPayload {
  /** Id of the key that signed it. */
  readonly k: string;
  /** The edge row's sort values, one per term. */
  readonly s: readonly FieldValue[];
  /** The direction of the read that made it: `a` forward, `b` backward (informational). */
  readonly d: 'a' | 'b';
  /** Hash of the query (sort, filters, text) it belongs to. */
  readonly q: string;
  /** Rows before this edge, for the depth label (approximate on pages read backward from the end). */
  readonly n: number;
  /** Issued at, epoch ms. */
  readonly t: number;
  /** Expires at, epoch ms. */
  readonly e?: number;
}

/** The type each sort value of a cursor must have. */
export interface CursorTermType {
  readonly type: FieldType | 'relevance';
  readonly nullable: boolean;
}

/** Signs and verifies cursors. */
export interface CursorCodec {
  /** A cursor for `payload` (key, issue and expiry times are added). */
  encode(payload: Pick<CursorPayload, 's' | 'd' | 'q' | 'n'>): string;
  /** The verified payload of `cursor`, given as request parameter `parameter`, for query hash `q`. */
  decode(cursor: unknown, parameter: string, q: string, terms: readonly CursorTermType[]): CursorPayload;
}

const mac = (secret: Uint8Array, signed: string): Buffer =>
  createHmac('sha256', secret).update(signed, 'utf8').digest();

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function readEnvelope(cursor: unknown, parameter: string): { payload: string; signature: string } {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
    throw new InvalidCursorError(parameter, 'malformed');
  }
  const parts = cursor.split('.');
  if (parts[0] !== VERSION) {
    throw new InvalidCursorError(parameter, /^v\d{1,4}$/.test(parts[0] ?? '') ? 'version' : 'malformed');
  }
  const [, payload = '', signature = ''] = parts;
  if (parts.length !== 3 || !BASE64URL.test(payload) || signature.length !== SIGNATURE_LENGTH) {
    throw new InvalidCursorError(parameter, 'malformed');
  }
  if (!BASE64URL.test(signature)) throw new InvalidCursorError(parameter, 'malformed');
  return { payload, signature };
}

function parsePayload(payload: string, parameter: string): Record<string, unknown> {
  const bytes = Buffer.from(payload, 'base64url');
  // Non-canonical base64url (stray trailing bits) would give one payload many spellings.
  if (bytes.toString('base64url') !== payload) throw new InvalidCursorError(parameter, 'malformed');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidCursorError(parameter, 'malformed');
  }
  if (!isPlainObject(parsed)) throw new InvalidCursorError(parameter, 'malformed');
  return parsed;
}

function checkStructure(p: Record<string, unknown>, parameter: string): CursorPayload {
  const values = new InvalidCursorError(parameter, 'values');
  for (const key of Object.keys(p)) if (!PAYLOAD_KEYS.has(key)) throw values;
  const { k, s, d, q, n, t, e } = p;
  if (typeof k !== 'string' || !Array.isArray(s) || (d !== 'a' && d !== 'b')) throw values;
  if (typeof q !== 'string' || !QUERY_HASH_PATTERN.test(q)) throw values;
  if (!isTime(n) || !isTime(t) || (e !== undefined && !isTime(e))) throw values;
  const out: CursorPayload = { k, s: s as FieldValue[], d, q, n, t };
  return e === undefined ? out : { ...out, e };
}

function checkValues(s: readonly unknown[], terms: readonly CursorTermType[], parameter: string): void {
  if (s.length !== terms.length) throw new InvalidCursorError(parameter, 'values');
  for (let i = 0; i < terms.length; i++) {
    const value = s[i];
    const term = terms[i];
    if (term === undefined) throw new InvalidCursorError(parameter, 'values');
    if (value === null) {
      if (!term.nullable) throw new InvalidCursorError(parameter, 'values');
      continue;
    }
    if (typeof value === 'object' || !isValueOfType(value as FieldValue, term.type)) {
      throw new InvalidCursorError(parameter, 'values');
    }
  }
}

/** Options of {@link createCursorCodec}. */
export interface CursorCodecOptions {
  /** Newest first: the first signs, any verifies. */
  readonly keys: readonly CursorKey[];
  readonly ttlMs: number | undefined;
  readonly clock: Clock;
}

/** Creates the codec of one paginator. */
export function createCursorCodec(options: CursorCodecOptions): CursorCodec {
  const { ttlMs, clock } = options;
  const signing = options.keys[0];
  if (signing === undefined) throw new StoreError('createCursorCodec: no signing key');
  const byId = new Map(options.keys.map((k) => [k.id, k.secret]));
  return {
    encode(fields) {
      const t = clock.now();
      const body: CursorPayload = { k: signing.id, s: fields.s, d: fields.d, q: fields.q, n: fields.n, t };
      const json = JSON.stringify(ttlMs === undefined ? body : { ...body, e: t + ttlMs });
      const payload = Buffer.from(json, 'utf8').toString('base64url');
      const signed = `${VERSION}.${payload}`;
      const cursor = `${signed}.${mac(signing.secret, signed).toString('base64url')}`;
      if (cursor.length > MAX_CURSOR_LENGTH) {
        throw new StoreError(`a cursor would exceed ${MAX_CURSOR_LENGTH} characters: sort on shorter values`);
      }
      return cursor;
    },
    decode(cursor, parameter, q, terms) {
      const envelope = readEnvelope(cursor, parameter);
      const raw = parsePayload(envelope.payload, parameter);
      const secret = typeof raw.k === 'string' ? byId.get(raw.k) : undefined;
      if (secret === undefined) throw new InvalidCursorError(parameter, 'key');
      const expected = mac(secret, `${VERSION}.${envelope.payload}`);
      const given = Buffer.from(envelope.signature, 'base64url');
      // The last base64url character carries unused bits: without the canonical check, four spellings verify.
      const canonical = given.toString('base64url') === envelope.signature;
      if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new InvalidCursorError(parameter, 'signature');
      }
      const payload = checkStructure(raw, parameter);
      const ttlEnd = ttlMs === undefined ? undefined : payload.t + ttlMs;
      const end = Math.min(payload.e ?? Number.POSITIVE_INFINITY, ttlEnd ?? Number.POSITIVE_INFINITY);
      if (clock.now() >= end) throw new ExpiredCursorError(parameter);
      if (payload.q !== q) throw new CursorMismatchError(parameter);
      checkValues(payload.s, terms, parameter);
      return payload;
    },
  };
}

/** Deterministic JSON: object keys sorted, `-0` as `0`, no undefined members. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(',')}}`;
  }
  return 'null';
}

/**
 * The `q` of a cursor: base64url of the first 16 bytes of SHA-256 over the canonical JSON of the
 * paginator's name, the resolved sort, the normalised filters (already sorted by field and operator)
 * and the search text. The name keeps a cursor of one list from opening another list with the same
 * keys and sort.
 */
export function queryHash(
  sort: readonly SortTerm[],
  filters: readonly FilterCondition[],
  text: string | undefined,
  paginator: string,
): string {
  const canonical = canonicalJson({
    p: paginator,
    s: sort.map((t) => [t.field, t.direction, t.nulls]),
    f: filters,
    t: text ?? null,
  });
  return createHash('sha256').update(canonical, 'utf8').digest().subarray(0, 16).toString('base64url');
}
