/**
 * The one framework-free core of the HTTP adapters (`backend-patterns/ratelimit/express`, `/fastify`,
 * `/hono`): options, the key, the decision and what to answer, as a plain value. Each adapter only reads
 * its framework's request and applies the outcome, so the three cannot drift apart.
 */
import { type BackendPatternsError, InvalidOptionError, isBackendPatternsError } from '../core/errors.js';
import { type OptionSpec, type OptionsParser, opt, optionError } from '../core/options.js';
import { type RateLimitHeaderOptions, rateLimitHeaders } from './headers.js';
import { createRequestKey, type RequestHeaders, type RequestKeyFunction } from './request-key.js';
import type { LimitKey, LimitResult, RateLimiter } from './types.js';

/** A value, or a promise of it: the hooks of the middleware options may be async. */
export type MaybePromise<T> = T | Promise<T>;

/** Options shared by the three HTTP adapters; `Req` is the framework's request (Hono: its context). */
export interface HttpRateLimitOptions<Req> {
  /**
   * The limiter key of a request. Default: the client address through `requestKey`, from the socket peer
   * (never the framework's `req.ip`, whose trust-proxy setting this does not inherit).
   */
  readonly key?: (req: Req) => MaybePromise<LimitKey>;
  /** The extractor the default key uses. Default `createRequestKey()`: no proxy trusted. */
  readonly requestKey?: RequestKeyFunction;
  /** Weight of a request: an integer >= 1, or a function of the request. Default 1. */
  readonly cost?: number | ((req: Req) => MaybePromise<number>);
  /** Requests for which this returns true pass without being counted or given headers. */
  readonly skip?: (req: Req) => MaybePromise<boolean>;
  /** `false` sends no rate-limit fields; `{ legacy: true }` adds `X-RateLimit-*`. Default `true`. */
  readonly headers?: boolean | RateLimitHeaderOptions;
  /**
   * When the key, cost or limiter throws: `'respond'` (default) answers 400 to an
   * `ERR_INVALID_ARGUMENT` (an unusable key or cost: the request is refused, never let through
   * uncounted) and hands any other error to the framework; `'next'` hands every error to the framework's
   * error handler (Express `next(err)`, Fastify and Hono by throwing).
   */
  readonly onError?: 'respond' | 'next';
}

/** What an adapter does with a request, decided by {@link HttpRateLimit.decide}. */
export type HttpOutcome =
  /** Go on to the handler, with these fields on the response (none when skipped). */
  | { readonly kind: 'pass'; readonly headers: Readonly<Record<string, string>> }
  /** Denied: 429 for a limit, 503 when a fail-closed store error denied it. */
  | {
      readonly kind: 'limited';
      readonly status: 429 | 503;
      readonly headers: Readonly<Record<string, string>>;
      readonly result: LimitResult;
    }
  /** Answer 400: the key or cost was refused with `ERR_INVALID_ARGUMENT` (onError `'respond'`). */
  | { readonly kind: 'invalid'; readonly status: 400; readonly error: BackendPatternsError }
  /** Hand `error` to the framework's error handler. */
  | { readonly kind: 'error'; readonly error: unknown };

/** The per-request core an adapter calls. */
export interface HttpRateLimit<Req> {
  decide(
    req: Req,
    peerAddress: string | undefined,
    headers: RequestHeaders | undefined,
  ): Promise<HttpOutcome>;
}

/** Default plain-text bodies of the answers the adapters write themselves. */
export const HTTP_BODIES: Readonly<Record<400 | 429 | 503, string>> = {
  400: 'Bad Request\n',
  429: 'Too Many Requests\n',
  503: 'Service Unavailable\n',
};

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const PASS_SKIPPED: HttpOutcome = Object.freeze({ kind: 'pass', headers: NO_HEADERS });

const headerSpec = opt.custom(
  (value, path, owner): false | RateLimitHeaderOptions => {
    if (value === true) return {};
    if (value === false) return false;
    const isOptions = typeof value === 'object' && value !== null && !Array.isArray(value);
    const keys = isOptions ? Object.keys(value) : [];
    const legacy = isOptions ? (value as RateLimitHeaderOptions).legacy : undefined;
    if (
      !isOptions ||
      keys.some((k) => k !== 'legacy') ||
      (legacy !== undefined && typeof legacy !== 'boolean')
    )
      throw optionError(owner, path, 'a boolean or { legacy?: boolean }', value);
    return { legacy: legacy === true };
  },
  { default: {} as false | RateLimitHeaderOptions },
);

const costSpec = opt.custom(
  (value, path, owner) => {
    if (typeof value === 'function' || (Number.isSafeInteger(value) && (value as number) >= 1))
      return value as number | ((req: never) => MaybePromise<number>);
    throw optionError(owner, path, 'an integer >= 1 or a function', value);
  },
  { default: 1 },
);

/** The option specs every adapter shares; an adapter adds its own (`onLimited`, `peerAddress`). */
export const httpOptionSpecs = {
  key: opt.fn<(req: never) => MaybePromise<LimitKey>>(),
  requestKey: opt.fn<RequestKeyFunction>(),
  cost: costSpec,
  skip: opt.fn<(req: never) => MaybePromise<boolean>>(),
  headers: headerSpec,
  onError: opt.oneOf(['respond', 'next'], { default: 'respond' }),
} satisfies Record<string, OptionSpec<unknown>>;

/** Refuses what is not a limiter at construction, not at the first request. */
function checkLimiter(owner: string, limiter: unknown): asserts limiter is RateLimiter {
  if (typeof (limiter as RateLimiter | null)?.limit !== 'function')
    throw new InvalidOptionError(`${owner}: \`limiter\` must be a RateLimiter (from createRateLimiter)`);
}

/** The shared options as parsed (defaults applied). */
export type ParsedHttpOptions = ReturnType<OptionsParser<typeof httpOptionSpecs>>;

function errorOutcome(error: unknown, onError: 'respond' | 'next'): HttpOutcome {
  if (onError === 'respond' && isBackendPatternsError(error, 'ERR_INVALID_ARGUMENT'))
    return { kind: 'invalid', status: 400, error };
  return { kind: 'error', error };
}

/**
 * Checks `limiter`, parses `options` with the adapter's own table (`parse`, built from
 * {@link httpOptionSpecs} plus the adapter's options) and builds the per-request core.
 */
export function createHttpRateLimit<Req, P extends ParsedHttpOptions>(
  owner: string,
  limiter: RateLimiter,
  options: unknown,
  parse: (input: unknown) => P,
): { readonly core: HttpRateLimit<Req>; readonly parsed: P } {
  checkLimiter(owner, limiter);
  const parsed = parse(options);
  return { core: createCore<Req>(limiter, parsed), parsed };
}

function createCore<Req>(limiter: RateLimiter, parsed: ParsedHttpOptions): HttpRateLimit<Req> {
  const { onError } = parsed;
  const key = parsed.key as ((req: Req) => MaybePromise<LimitKey>) | undefined;
  const skip = parsed.skip as ((req: Req) => MaybePromise<boolean>) | undefined;
  const cost = parsed.cost as number | ((req: Req) => MaybePromise<number>);
  const requestKey = parsed.requestKey ?? createRequestKey();
  const headerOptions = parsed.headers;

  const run = async (req: Req, peer: string | undefined, headers: RequestHeaders | undefined) => {
    if (skip && (await skip(req))) return PASS_SKIPPED;
    const limitKey = key ? await key(req) : requestKey(peer, headers);
    const weight = typeof cost === 'number' ? cost : await cost(req);
    const result = await limiter.limit(limitKey, weight === 1 ? undefined : { cost: weight });
    const fields = headerOptions === false ? NO_HEADERS : rateLimitHeaders(result, headerOptions);
    if (result.allowed) return { kind: 'pass', headers: fields } as const;
    // Retry-After travels even when the quota fields are switched off: a 429 without it invites hammering.
    const withRetry =
      fields === NO_HEADERS ? { 'Retry-After': rateLimitHeaders(result)['Retry-After'] as string } : fields;
    const status = result.reason === 'store-error' ? 503 : 429;
    return { kind: 'limited', status, headers: withRetry, result } as const;
  };

  return {
    decide: (req, peer, headers) =>
      run(req, peer, headers).catch((error: unknown) => errorOutcome(error, onError)),
  };
}
