/**
 * Express middleware (`backend-patterns/ratelimit/express`), for Express 4 and 5; it also fits a plain
 * `node:http` handler. Typed structurally: it imports nothing from Express, so its types need no
 * `@types/express`. It never returns a promise to Express (Express 4 would drop its rejection): every
 * error reaches `next(err)`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { defineOptions, opt } from '../core/options.js';
import {
  createHttpRateLimit,
  HTTP_BODIES,
  type HttpOutcome,
  type HttpRateLimitOptions,
  httpOptionSpecs,
  type MaybePromise,
} from './http.js';
import type { LimitResult, RateLimiter } from './types.js';

export type { HttpRateLimitOptions, MaybePromise } from './http.js';

/** What the middleware reads of a request: the socket peer and the headers. */
export interface ExpressRequestLike {
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** What the middleware writes on a response (Node's `ServerResponse` has all of it). */
export interface ExpressResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Express's `next`. */
export type ExpressNext = (error?: unknown) => void;

/** Options of {@link rateLimitMiddleware} (Express). */
export interface ExpressRateLimitOptions<Req extends ExpressRequestLike = ExpressRequestLike>
  extends HttpRateLimitOptions<Req> {
  /**
   * Answers a denied request instead of the default (status 429, or 503 for a fail-closed store error,
   * with a plain-text body). The rate-limit fields and `Retry-After` are already set on `res`.
   */
  readonly onLimited?: (
    req: Req,
    res: ExpressResponseLike,
    next: ExpressNext,
    result: LimitResult,
  ) => MaybePromise<unknown>;
}

/** An Express middleware. */
export type ExpressRateLimitMiddleware<Req extends ExpressRequestLike = ExpressRequestLike> = (
  req: Req,
  res: ExpressResponseLike,
  next: ExpressNext,
) => void;

const parseOptions = defineOptions('rateLimitMiddleware', {
  ...httpOptionSpecs,
  onLimited: opt.fn<NonNullable<ExpressRateLimitOptions['onLimited']>>(),
});

function respond(res: ExpressResponseLike, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(body);
}

/**
 * Rate-limits every request through `limiter`: sets `RateLimit`/`RateLimit-Policy` (and `Retry-After` on
 * denial), answers 429 (503 when a fail-closed store error denied it), and calls `next()` otherwise. The
 * default key is the client address from the socket peer via `requestKey` (`createRequestKey()`: no
 * proxy trusted); Express's `trust proxy` setting and `req.ip` are not used. Errors: see `onError`.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createRequestKey } from 'backend-patterns/ratelimit';
 * import { rateLimitMiddleware } from 'backend-patterns/ratelimit/express';
 *
 * const app = express();
 * app.use(rateLimitMiddleware(limiter, { requestKey: createRequestKey({ trustedProxies: ['loopback'] }) }));
 * ```
 */
export function rateLimitMiddleware<Req extends ExpressRequestLike = ExpressRequestLike>(
  limiter: RateLimiter,
  options: ExpressRateLimitOptions<Req> = {},
): ExpressRateLimitMiddleware<Req> {
  const { core, parsed } = createHttpRateLimit<Req, ReturnType<typeof parseOptions>>(
    'rateLimitMiddleware',
    limiter,
    options,
    parseOptions,
  );
  const onLimited = parsed.onLimited as ExpressRateLimitOptions<Req>['onLimited'];

  const apply = async (outcome: HttpOutcome, req: Req, res: ExpressResponseLike, next: ExpressNext) => {
    if (outcome.kind === 'error') return next(outcome.error);
    if (outcome.kind === 'invalid') return respond(res, outcome.status, HTTP_BODIES[400]);
    for (const field in outcome.headers) res.setHeader(field, outcome.headers[field] as string);
    if (outcome.kind === 'pass') return next();
    if (onLimited) return void (await onLimited(req, res, next, outcome.result));
    respond(res, outcome.status, HTTP_BODIES[outcome.status]);
  };

  return (req, res, next) => {
    core
      .decide(req, req.socket?.remoteAddress, req.headers)
      .then((outcome) => apply(outcome, req, res, next))
      .catch(next);
  };
}
