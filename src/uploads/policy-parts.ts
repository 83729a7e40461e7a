/**
 * The nested options of `createUploadPolicy` (quota, scan, thumbnails, serving), each validated into its
 * resolved form with the option's full name in the message (`quota.limitBytes`, `thumbnails.sizes[1]`).
 */
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { opt, optionError } from '../core/options.js';
import type { ResolvedQuota, ResolvedScan, ResolvedServing, ResolvedThumbnails } from './policy-context.js';
import { createMemoryQuotaStore } from './quota-memory.js';
import type { QuotaStore, Thumbnailer, ThumbnailSpec, VirusScanner } from './types.js';

const OWNER = 'createUploadPolicy';
const MiB = 1024 * 1024;

const QUOTA_METHODS = ['reserve', 'get', 'settle', 'release', 'free', 'usage', 'sweepExpired'];

type LimitFn = (owner: string) => number | Promise<number>;

const isLimit = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

const parseQuotaShape = opt.shape({
  store: opt.port<QuotaStore>(QUOTA_METHODS, 'required'),
  limitBytes: opt.custom(
    (v, p, o) => {
      if (typeof v === 'function' || isLimit(v)) return v as number | LimitFn;
      throw optionError(o, p, 'a non-negative integer or a function of the owner', v);
    },
    { default: undefined },
  ),
  reservationTtlMs: opt.duration(),
}).parse;

/**
 * Resolves `quota`. A `limitBytes` function that answers a bad number fails that upload with
 * ERR_INVALID_OPTION. `minTtlMs` is the longest an upload may legitimately take (the presign lifetime or
 * the proxied total deadline): a reservation that expires sooner would free its bytes mid-upload and end
 * a good upload in ERR_UPLOAD_NOT_FOUND, so a shorter `reservationTtlMs` is refused at construction.
 */
export function parseQuota(value: unknown, defaultTtlMs: number, minTtlMs: number): ResolvedQuota {
  const q = parseQuotaShape(value, 'quota', OWNER) as {
    store: QuotaStore;
    limitBytes: number | LimitFn | undefined;
    reservationTtlMs: number | undefined;
  };
  if (q.limitBytes === undefined) throw new InvalidOptionError(`${OWNER}: \`quota.limitBytes\` is required`);
  if (q.reservationTtlMs !== undefined && q.reservationTtlMs < minTtlMs) {
    throw new InvalidOptionError(
      `${OWNER}: \`quota.reservationTtlMs\` (${q.reservationTtlMs} ms) must be at least ${minTtlMs} ms, the presign lifetime or the proxied total deadline, whichever is longer`,
    );
  }
  const limit = q.limitBytes;
  return Object.freeze({
    store: q.store,
    configured: true,
    reservationTtlMs: q.reservationTtlMs ?? defaultTtlMs,
    async limitBytes(owner: string): Promise<number> {
      if (typeof limit === 'number') return limit;
      let answer: unknown;
      try {
        answer = await limit(owner);
      } catch (cause) {
        // The app's lookup (a database, a plan service) failed: a store failure, typed, with the cause.
        throw new StoreError(`${OWNER}: \`quota.limitBytes\` failed`, { cause });
      }
      if (!isLimit(answer)) {
        throw new InvalidOptionError(
          `${OWNER}: \`quota.limitBytes\` returned something other than a non-negative integer`,
        );
      }
      return answer;
    },
  });
}

/**
 * No `quota` option: an unlimited ledger in this process, which still records pending uploads (finalize
 * looks them up there). Fine for one process; several processes behind a load balancer need a shared
 * store (`backend-patterns/uploads/redis`), or a finalize may land where the upload is unknown.
 */
export function createUnlimitedQuota(defaultTtlMs: number): ResolvedQuota {
  return Object.freeze({
    store: createMemoryQuotaStore(),
    configured: false,
    reservationTtlMs: defaultTtlMs,
    limitBytes: async () => Number.MAX_SAFE_INTEGER,
  });
}

const parseScanShape = opt.shape({
  scanner: opt.port<VirusScanner>(['scan'], 'required'),
  onUnavailable: opt.oneOf(['reject', 'accept'] as const, { default: 'reject' }),
  onTooLarge: opt.oneOf(['reject', 'accept'] as const, { default: 'reject' }),
}).parse;

/** Resolves `scan`. */
export function parseScan(value: unknown): ResolvedScan | undefined {
  if (value === undefined) return undefined;
  const s = parseScanShape(value, 'scan', OWNER) as ResolvedScan;
  const max = s.scanner.maxScanBytes;
  if (!(Number.isSafeInteger(max) && max > 0))
    throw optionError(OWNER, 'scan.scanner.maxScanBytes', 'a positive integer');
  return Object.freeze({ ...s });
}

const specShape = opt.shape({
  name: opt.name({ required: true, maxLength: 64 }),
  maxWidth: opt.integer({ required: true, max: 16_384 }),
  maxHeight: opt.integer({ required: true, max: 16_384 }),
});

const parseThumbShape = opt.shape({
  thumbnailer: opt.port<Thumbnailer>(['thumbnails'], 'required'),
  sizes: opt.list(specShape, { required: true, minItems: 1, maxItems: 16 }),
  maxSourceBytes: opt.integer({ default: 25 * MiB }),
}).parse;

/** Resolves `thumbnails` (names unique: they are key segments). */
export function parseThumbnails(value: unknown): ResolvedThumbnails | undefined {
  if (value === undefined) return undefined;
  const t = parseThumbShape(value, 'thumbnails', OWNER) as {
    thumbnailer: Thumbnailer;
    sizes: readonly ThumbnailSpec[];
    maxSourceBytes: number;
  };
  const names = new Set(t.sizes.map((s) => s.name));
  if (names.size !== t.sizes.length)
    throw optionError(OWNER, 'thumbnails.sizes', 'sizes with distinct names');
  if (!Array.isArray(t.thumbnailer.accepts) || !t.thumbnailer.accepts.every((a) => typeof a === 'string')) {
    throw optionError(OWNER, 'thumbnails.thumbnailer.accepts', 'an array of MIME types');
  }
  return Object.freeze({ thumbnailer: t.thumbnailer, sizes: t.sizes, maxSourceBytes: t.maxSourceBytes });
}

const parseServingShape = opt.shape({
  cdnBaseUrl: opt.custom((v, p, o) => {
    if (typeof v !== 'string') throw optionError(o, p, 'an http(s) URL', v);
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw optionError(o, p, 'an http(s) URL');
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
      throw optionError(o, p, 'an http(s) URL without query or fragment');
    }
    // Credentials in the base would be printed into every public URL handed to browsers.
    if (url.username !== '' || url.password !== '')
      throw optionError(o, p, 'an http(s) URL without credentials');
    return v.replace(/\/+$/, '');
  }),
  cloudFront: opt.port<{ sign(url: string, expiresAtMs: number): string }>(['sign']),
  signedUrlTtlS: opt.integer({ default: 300, max: 604_800 }),
}).parse;

/** Resolves `serving`; CloudFront signs CDN URLs, so it needs `cdnBaseUrl`. */
export function parseServing(value: unknown): ResolvedServing {
  const s = parseServingShape(value ?? {}, 'serving', OWNER) as {
    cdnBaseUrl: string | undefined;
    cloudFront: ResolvedServing['cloudFront'];
    signedUrlTtlS: number;
  };
  if (s.cloudFront !== undefined && s.cdnBaseUrl === undefined) {
    throw optionError(OWNER, 'serving.cdnBaseUrl', 'given with `serving.cloudFront` (the distribution URL)');
  }
  return Object.freeze({
    cdnBaseUrl: s.cdnBaseUrl,
    cloudFront: s.cloudFront,
    signedUrlTtlS: s.signedUrlTtlS,
  });
}
