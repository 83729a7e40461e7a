/**
 * Hono middleware (`backend-patterns/ratelimit/hono`), for Hono 4. Typed structurally: it imports nothing
 * from Hono. Hono runs on many runtimes and has no socket of its own, so the peer address comes from
 * `peerAddress(c)`; the default reads @hono/node-server's `c.env.incoming.socket.remoteAddress`. On
 * another runtime pass its own (`getConnInfo(c).remote.address` from `hono/bun`, `hono/deno`, ...);
 * without one every request gets 400 (`ERR_INVALID_ARGUMENT`), never a shared bucket.
 */
import { defineOptions, opt } from '../core/options.js';
import { createHttpRateLimit, HTTP_BODIES, type HttpRateLimitOptions, httpOptionSpecs } from './http.js';
import type { LimitResult, RateLimiter } from './types.js';

export type { HttpRateLimitOptions, MaybePromise } from './http.js';

/** What the middleware uses of a Hono context. */
export interface HonoContextLike {
  readonly req: { readonly raw: { readonly headers: Headers } };
  /** The runtime bindings; under @hono/node-server, `{ incoming, outgoing }`. */
  readonly env?: unknown;
  header(name: string, value: string): void;
}

/** Options of {@link rateLimitMiddleware} (Hono). */
export interface HonoRateLimitOptions<C extends HonoContextLike = HonoContextLike>
  extends HttpRateLimitOptions<C> {
  /** The socket peer of the request. Default: @hono/node-server's `c.env.incoming.socket.remoteAddress`. */
  readonly peerAddress?: (c: C) => string | undefined;
  /**
   * Builds the answer to a denied request instead of the default (429, or 503 for a fail-closed store
   * error, plain text). Put `headers` (the rate-limit fields and `Retry-After`) on it.
   */
  readonly onLimited?: (
    c: C,
    result: LimitResult,
    headers: Readonly<Record<string, string>>,
  ) => Response | Promise<Response>;
}

/** A Hono middleware. */
export type HonoRateLimitMiddleware<C extends HonoContextLike = HonoContextLike> = (
  c: C,
  next: () => Promise<void>,
) => Promise<Response | undefined>;

const parseOptions = defineOptions('rateLimitMiddleware', {
  ...httpOptionSpecs,
  peerAddress: opt.fn<(c: never) => string | undefined>(),
  onLimited: opt.fn<NonNullable<HonoRateLimitOptions['onLimited']>>(),
});

interface NodeServerBindings {
  readonly incoming?: { readonly socket?: { readonly remoteAddress?: string } };
}

/** @hono/node-server puts Node's IncomingMessage in `env.incoming`. */
const nodeServerPeer = (c: HonoContextLike): string | undefined =>
  typeof c.env === 'object' && c.env !== null
    ? (c.env as NodeServerBindings).incoming?.socket?.remoteAddress
    : undefined;

const text = (status: number, body: string, headers: Readonly<Record<string, string>> = {}) =>
  new Response(body, { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });

/**
 * Rate-limits each request through `limiter`: sets `RateLimit`/`RateLimit-Policy` on the response,
 * answers 429 with `Retry-After` (503 for a fail-closed store error) and lets the rest through. The
 * default key is the client address from `peerAddress(c)` via `requestKey` (`createRequestKey()`: no
 * proxy trusted). An error for Hono's error handler (`app.onError`) is thrown.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { rateLimitMiddleware } from 'backend-patterns/ratelimit/hono';
 *
 * const app = new Hono();
 * app.use(rateLimitMiddleware(limiter));
 * ```
 */
export function rateLimitMiddleware<C extends HonoContextLike = HonoContextLike>(
  limiter: RateLimiter,
  options: HonoRateLimitOptions<C> = {},
): HonoRateLimitMiddleware<C> {
  const { core, parsed } = createHttpRateLimit<C, ReturnType<typeof parseOptions>>(
    'rateLimitMiddleware',
    limiter,
    options,
    parseOptions,
  );
  const peerAddress = (parsed.peerAddress as HonoRateLimitOptions<C>['peerAddress']) ?? nodeServerPeer;
  const onLimited = parsed.onLimited as HonoRateLimitOptions<C>['onLimited'];

  return async (c, next) => {
    const outcome = await core.decide(c, peerAddress(c), c.req.raw.headers);
    if (outcome.kind === 'error') throw outcome.error;
    if (outcome.kind === 'invalid') return text(outcome.status, HTTP_BODIES[400]);
    if (outcome.kind === 'limited') {
      if (onLimited) return onLimited(c, outcome.result, outcome.headers);
      return text(outcome.status, HTTP_BODIES[outcome.status], outcome.headers);
    }
    await next();
    // After next(): Hono applies c.header() to whatever response the handler built (even a raw Response).
    for (const field in outcome.headers) c.header(field, outcome.headers[field] as string);
    return undefined;
  };
}
