/**
 * The memory store's presigned URLs: `<baseUrl>/<key, each segment percent-encoded>?X-Mem-...`, signed
 * with an HMAC-SHA256 over everything the URL grants (operation, key, expiry, and the conditions the
 * body must meet). The store checks its own URLs in `receive*`, as S3 checks SigV4: a changed character
 * anywhere in what is signed gives another HMAC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Query parameter names of a memory presigned URL. */
export const Q = {
  op: 'X-Mem-Op',
  expires: 'X-Mem-Expires',
  signature: 'X-Mem-Signature',
  uploadId: 'uploadId',
  partNumber: 'partNumber',
  length: 'X-Mem-Length',
} as const;

/** The POST form field carrying the policy's HMAC (`policy` carries the policy itself). */
export const POST_SIGNATURE_FIELD = 'x-mem-signature';

/** Signs and checks one store's URLs with its secret. */
export interface Signer {
  sign(parts: readonly unknown[]): string;
  verify(parts: readonly unknown[], signature: string): boolean;
}

/** A signer over `secret`. Parts are JSON-encoded, so no separator can be smuggled between them. */
export function createSigner(secret: Uint8Array): Signer {
  const sign = (parts: readonly unknown[]) =>
    createHmac('sha256', secret).update(JSON.stringify(parts)).digest('base64url');
  return {
    sign,
    verify(parts, signature) {
      const expected = Buffer.from(sign(parts));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/** `a/b c/+%` → `a/b%20c/%2B%25`: each segment encoded, the slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** A parsed URL of this store: the decoded key and the query. */
export interface ParsedUrl {
  readonly key: string;
  readonly query: URLSearchParams;
}

/**
 * Splits `url` into key and query when it starts with `baseUrl/`; undefined for a foreign or
 * undecodable URL. String work, not `new URL`, so the key's encoding is read exactly as sent.
 */
export function parseStoreUrl(baseUrl: string, url: unknown): ParsedUrl | undefined {
  if (typeof url !== 'string' || !url.startsWith(`${baseUrl}/`)) return undefined;
  const rest = url.slice(baseUrl.length + 1);
  const at = rest.indexOf('?');
  const path = at === -1 ? rest : rest.slice(0, at);
  try {
    return { key: decodeURIComponent(path), query: new URLSearchParams(at === -1 ? '' : rest.slice(at + 1)) };
  } catch {
    return undefined;
  }
}

/** Sorted `[name, value]` pairs, so the same metadata always signs the same. */
export const sortedEntries = (record: Readonly<Record<string, string>>) =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Lower-cased header names (HTTP headers are case-insensitive); non-string values dropped. */
export function lowerHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

/** `x-amz-meta-*` headers (or form fields) as metadata, names without the prefix. */
export function metadataOf(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-meta-')) out[lower.slice('x-amz-meta-'.length)] = value;
  }
  return out;
}
