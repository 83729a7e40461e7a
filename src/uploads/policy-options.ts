/**
 * Validation of `createUploadPolicy`'s options, all at construction: every bad value is an
 * `InvalidOptionError` naming the option (`types["image/png"].maxBytes`), never a TypeError on the first
 * upload. The result is the frozen {@link PolicyContext}.
 */
import { randomBytes } from 'node:crypto';
import { defineOptions, opt, optionError } from '../core/options.js';
import { validateKeyPrefix } from './keys.js';
import type { PolicyContext, ResolvedTypeRule } from './policy-context.js';
import { policyInstruments } from './policy-instruments.js';
import {
  createUnlimitedQuota,
  parseQuota,
  parseScan,
  parseServing,
  parseThumbnails,
} from './policy-parts.js';
import type { UploadPolicyOptions } from './policy-types.js';
import { MARKUP_TYPES, parseMimeType, TEXT_TYPES } from './sniff-mime.js';
import type { MultipartLimits, ObjectStore, TypeDetector } from './types.js';

const OWNER = 'createUploadPolicy';
const MiB = 1024 * 1024;

/** Default reservation lifetime of a direct multipart upload: a day (S3 itself takes far longer ones). */
const DEFAULT_MULTIPART_TTL_MS = 86_400_000;

/** S3's presigned URL limit, s (SigV4 query authentication: 7 days). */
export const MAX_PRESIGN_TTL_S = 604_800;

const STORE_METHODS = [
  'presignPut',
  'presignPost',
  'createMultipart',
  'presignPart',
  'listParts',
  'completeMultipart',
  'abortMultipart',
  'listMultipartUploads',
  'openMultipartWriter',
  'put',
  'head',
  'readRange',
  'read',
  'copy',
  'delete',
  'list',
  'signedGetUrl',
];

const parse = defineOptions(OWNER, {
  name: opt.name({ default: 'uploads' }),
  storage: opt.port<ObjectStore>(STORE_METHODS, 'required'),
  types: opt.custom((v) => v),
  maxBytes: opt.integer({ default: 100 * MiB }),
  detector: opt.port<TypeDetector>(['detect']),
  svg: opt.oneOf(['reject', 'attachment'] as const, { default: 'reject' }),
  quota: opt.custom((v) => v),
  scan: opt.custom((v) => v),
  thumbnails: opt.custom((v) => v),
  serving: opt.custom((v) => v),
  prefixes: opt.shape({
    quarantine: opt.custom(validateKeyPrefix, { default: 'quarantine/' }),
    final: opt.custom(validateKeyPrefix, { default: 'files/' }),
  }),
  presignTtlS: opt.integer({ default: 900, min: 1, max: MAX_PRESIGN_TTL_S }),
  multipartThresholdBytes: opt.integer({ default: 100 * MiB }),
  partSizeBytes: opt.integer({ default: 8 * MiB }),
  idleTimeoutMs: opt.duration({ default: 30_000 }),
  totalTimeoutMs: opt.duration({ default: 3_600_000 }),
  multipartTtlMs: opt.duration(),
  metrics: opt.metrics(),
  clock: opt.clock(),
  random: opt.fn<(bytes: number) => Uint8Array>({ default: (n: number) => new Uint8Array(randomBytes(n)) }),
});

const isSafeInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

function checkLimits(storage: ObjectStore): MultipartLimits {
  const limits = storage.multipartLimits as Partial<MultipartLimits> | undefined;
  const ok =
    typeof limits === 'object' &&
    limits !== null &&
    isSafeInt(limits.minPartBytes) &&
    isSafeInt(limits.maxPartBytes) &&
    isSafeInt(limits.maxParts) &&
    isSafeInt(limits.maxSinglePutBytes) &&
    limits.minPartBytes <= limits.maxPartBytes;
  if (!ok)
    throw optionError(
      OWNER,
      'storage.multipartLimits',
      'positive integers with minPartBytes <= maxPartBytes',
    );
  return limits as MultipartLimits;
}

function parseTypes(
  value: unknown,
  maxBytes: number,
  detector: TypeDetector | undefined,
  svg: 'reject' | 'attachment',
): ReadonlyMap<string, ResolvedTypeRule> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.keys(value).length === 0
  ) {
    throw optionError(OWNER, 'types', 'an object with at least one MIME type');
  }
  const out = new Map<string, ResolvedTypeRule>();
  for (const [raw, rule] of Object.entries(value)) {
    const path = `types[${JSON.stringify(raw)}]`;
    const mime = parseMimeType(raw)?.essence;
    if (mime === undefined || raw.includes(';')) {
      throw optionError(OWNER, path, 'a MIME type such as `image/png` (no parameters)');
    }
    if (MARKUP_TYPES.has(mime))
      throw optionError(OWNER, path, 'a type no browser runs script in (markup types are never allowed)');
    if (out.has(mime)) throw optionError(OWNER, path, 'listed once (types are case-insensitive)');
    const parsed = defineOptions(OWNER, { maxBytes: opt.integer({ default: maxBytes, max: maxBytes }) });
    let typeMax: number;
    try {
      typeMax = parsed(rule).maxBytes;
    } catch {
      throw optionError(OWNER, `${path}.maxBytes`, `an integer in 1..${maxBytes} (the policy's maxBytes)`);
    }
    if (mime === 'image/svg+xml' && svg === 'reject') {
      throw optionError(OWNER, path, "allowed only with `svg: 'attachment'` (svg is 'reject')");
    }
    const binary = !TEXT_TYPES.has(mime);
    if (binary && detector === undefined) {
      throw optionError(OWNER, 'detector', `given: ${mime} is a binary type, checked by its magic bytes`);
    }
    out.set(mime, Object.freeze({ mime, maxBytes: typeMax, binary }));
  }
  return out;
}

/** Part size and count rules against the store's limits. */
function checkMultipart(limits: MultipartLimits, o: ReturnType<typeof parse>): void {
  if (o.partSizeBytes < limits.minPartBytes || o.partSizeBytes > limits.maxPartBytes) {
    throw optionError(
      OWNER,
      'partSizeBytes',
      `in ${limits.minPartBytes}..${limits.maxPartBytes} (the store's part limits)`,
      o.partSizeBytes,
    );
  }
  if (Math.ceil(o.maxBytes / o.partSizeBytes) > limits.maxParts) {
    throw optionError(
      OWNER,
      'partSizeBytes',
      `at least ${Math.ceil(o.maxBytes / limits.maxParts)} so maxBytes fits in ${limits.maxParts} parts`,
      o.partSizeBytes,
    );
  }
  if (o.multipartThresholdBytes > limits.maxSinglePutBytes) {
    throw optionError(
      OWNER,
      'multipartThresholdBytes',
      `at most ${limits.maxSinglePutBytes} (the store's single-request limit)`,
      o.multipartThresholdBytes,
    );
  }
}

/** Validates `options` and builds the context. */
export function resolvePolicyOptions(options: UploadPolicyOptions): PolicyContext {
  const o = parse(options);
  const limits = checkLimits(o.storage);
  if (o.maxBytes > limits.maxPartBytes * limits.maxParts) {
    throw optionError(
      OWNER,
      'maxBytes',
      `at most ${limits.maxPartBytes * limits.maxParts} (the store's largest object)`,
      o.maxBytes,
    );
  }
  checkMultipart(limits, o);
  const types = parseTypes(o.types, o.maxBytes, o.detector, o.svg);
  if (
    o.detector !== undefined &&
    !(
      Number.isSafeInteger(o.detector.sampleBytes) &&
      o.detector.sampleBytes > 0 &&
      o.detector.sampleBytes <= 1_048_576
    )
  ) {
    throw optionError(OWNER, 'detector.sampleBytes', 'an integer in 1..1048576');
  }
  const quarantine = o.prefixes?.quarantine ?? 'quarantine/';
  const final = o.prefixes?.final ?? 'files/';
  if (quarantine.startsWith(final) || final.startsWith(quarantine)) {
    throw optionError(OWNER, 'prefixes', 'two prefixes neither of which lies inside the other');
  }
  if (o.idleTimeoutMs > o.totalTimeoutMs) {
    throw optionError(
      OWNER,
      'idleTimeoutMs',
      `at most totalTimeoutMs (${o.totalTimeoutMs})`,
      o.idleTimeoutMs,
    );
  }
  // A reservation outlives the longest way its bytes can still arrive (a presigned URL, a proxied body).
  const longestUploadMs = Math.max(o.presignTtlS * 1000, o.totalTimeoutMs);
  const defaultTtlMs = longestUploadMs + 15 * 60_000;
  const quota =
    o.quota === undefined
      ? createUnlimitedQuota(defaultTtlMs)
      : parseQuota(o.quota, defaultTtlMs, longestUploadMs);
  const multipartTtlMs = o.multipartTtlMs ?? Math.max(DEFAULT_MULTIPART_TTL_MS, quota.reservationTtlMs);
  if (multipartTtlMs < quota.reservationTtlMs) {
    throw optionError(
      OWNER,
      'multipartTtlMs',
      `at least the reservation TTL (${quota.reservationTtlMs} ms)`,
      multipartTtlMs,
    );
  }
  return Object.freeze({
    name: o.name,
    storage: o.storage,
    types,
    maxBytes: o.maxBytes,
    detector: o.detector,
    svg: o.svg,
    quota,
    scan: parseScan(o.scan),
    thumbnails: parseThumbnails(o.thumbnails),
    serving: parseServing(o.serving),
    prefixes: Object.freeze({ quarantine, final }),
    presignTtlS: o.presignTtlS,
    multipartThresholdBytes: o.multipartThresholdBytes,
    partSizeBytes: o.partSizeBytes,
    idleTimeoutMs: o.idleTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs,
    multipartTtlMs,
    sniffBytes: Math.max(o.detector?.sampleBytes ?? 0, 4096),
    instruments: policyInstruments(o.metrics, o.name, o.clock),
    clock: o.clock,
    random: o.random,
  });
}
