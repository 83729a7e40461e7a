/**
 * POST policies of the memory store, in S3's shape: a base64 JSON `{ expiration, conditions }` signed
 * with the store's HMAC. Checked as S3 checks them: the signature, the expiry, every condition (exact
 * matches, `starts-with`, `content-length-range` against the real file size), and no form field left
 * uncovered by a condition (`x-ignore-*`, `policy`, the signature and `file` excepted).
 */
import { POST_SIGNATURE_FIELD, type Signer } from './memory-store-signing.js';

type Condition =
  | Readonly<Record<string, string>>
  | readonly ['eq' | 'starts-with', string, string]
  | readonly ['content-length-range', number, number];

type Refusal = {
  readonly ok: false;
  readonly status: number;
  readonly code: string;
  readonly message: string;
};

const refusal = (status: number, code: string, message: string): Refusal => ({
  ok: false,
  status,
  code,
  message,
});

/** Builds the signed fields of a form: the given fields plus `policy` and its signature. */
export function signPostPolicy(
  signer: Signer,
  expiresAtMs: number,
  fields: Readonly<Record<string, string>>,
  lengthRange: readonly [number, number],
): Record<string, string> {
  const conditions: Condition[] = Object.entries(fields).map(([name, value]) => ({ [name]: value }));
  conditions.push(['content-length-range', lengthRange[0], lengthRange[1]]);
  const policy = Buffer.from(
    JSON.stringify({ expiration: new Date(expiresAtMs).toISOString(), conditions }),
  ).toString('base64');
  return { ...fields, policy, [POST_SIGNATURE_FIELD]: signer.sign(['post', policy]) };
}

const EXEMPT = new Set(['policy', POST_SIGNATURE_FIELD, 'file']);

function readFields(fields: unknown): Record<string, string> | undefined {
  if (typeof fields !== 'object' || fields === null) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string') return undefined;
    out[name.toLowerCase()] = value;
  }
  return out;
}

function parsePolicy(policy: string): { expiration: unknown; conditions: unknown } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as { expiration: unknown; conditions: unknown })
      : undefined;
  } catch {
    return undefined;
  }
}

const FAILED = refusal(403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed');

function checkLength(a: unknown, b: unknown, fileBytes: number): Refusal | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return FAILED;
  if (fileBytes > b)
    return refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
  if (fileBytes < a)
    return refusal(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
  return undefined;
}

/** `['eq' | 'starts-with', '$field', value]`: the field it covers, or a refusal. */
function checkMatch(kind: unknown, a: unknown, b: unknown, fields: Readonly<Record<string, string>>) {
  if (typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string') return FAILED;
  const name = a.slice(1).toLowerCase();
  const value = fields[name];
  if (value === undefined) return FAILED;
  const matches = kind === 'eq' ? value === b : kind === 'starts-with' && value.startsWith(b);
  return matches ? name : FAILED;
}

/** Checks one condition; returns the field it covers, or a refusal. */
function checkCondition(
  condition: unknown,
  fields: Readonly<Record<string, string>>,
  fileBytes: number,
): string | undefined | Refusal {
  if (Array.isArray(condition)) {
    const [kind, a, b] = condition as unknown[];
    return kind === 'content-length-range' ? checkLength(a, b, fileBytes) : checkMatch(kind, a, b, fields);
  }
  if (typeof condition !== 'object' || condition === null) return FAILED;
  const entries = Object.entries(condition);
  const [name, expected] = entries[0] ?? [];
  if (entries.length !== 1 || typeof name !== 'string' || fields[name.toLowerCase()] !== expected)
    return FAILED;
  return name.toLowerCase();
}

/** Verifies a form against its signed policy and the real file size. */
export function checkPostPolicy(
  nowMs: number,
  signer: Signer,
  rawFields: unknown,
  fileBytes: number,
): { readonly ok: true; readonly fields: Readonly<Record<string, string>> } | Refusal {
  const fields = readFields(rawFields);
  if (fields === undefined) return refusal(400, 'InvalidArgument', 'form fields must be strings');
  const policy = fields.policy;
  const signature = fields[POST_SIGNATURE_FIELD];
  if (policy === undefined || signature === undefined || !signer.verify(['post', policy], signature)) {
    return refusal(403, 'SignatureDoesNotMatch', 'the policy signature does not match');
  }
  const parsed = parsePolicy(policy);
  const expiresAtMs = typeof parsed?.expiration === 'string' ? Date.parse(parsed.expiration) : Number.NaN;
  if (!Array.isArray(parsed?.conditions) || !Number.isFinite(expiresAtMs)) {
    return refusal(400, 'InvalidPolicyDocument', 'unreadable policy');
  }
  if (nowMs > expiresAtMs)
    return refusal(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  const covered = new Set<string>();
  for (const condition of parsed.conditions as unknown[]) {
    const result = checkCondition(condition, fields, fileBytes);
    if (typeof result === 'object') return result;
    if (result !== undefined) covered.add(result);
  }
  for (const name of Object.keys(fields)) {
    if (!EXEMPT.has(name) && !name.startsWith('x-ignore-') && !covered.has(name)) {
      return refusal(
        403,
        'AccessDenied',
        `Invalid according to Policy: Extra input fields: ${name.slice(0, 64)}`,
      );
    }
  }
  if (fields.key === undefined || fields.key === '') return refusal(400, 'InvalidArgument', 'no key');
  return { ok: true, fields };
}
