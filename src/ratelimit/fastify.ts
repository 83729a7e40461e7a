/**
 * Fastify `onRequest` hook (`backend-patterns/ratelimit/fastify`), for Fastify 4 and 5: register it with
 * `fastify.addHook('onRequest', rateLimitHook(limiter))`, in the root instance for every route or inside
 * a plugin for that plugin's routes (Fastify's encapsulation decides the scope; no fastify-plugin needed).
 * Typed structurally: it imports nothing from Fastify.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { defineOptions, opt } from '../core/options.js';
import { createHttpRateLimit, HTTP_BODIES, type HttpRateLimitOptions, httpOptionSpecs } from './http.js';
import type { LimitResult, RateLimiter } from './types.js';

export type { HttpRateLimitOptions, MaybePromise } from './http.js';

/** What the hook reads of a request: the raw socket peer (not `request.ip`) and the headers. */
export interface FastifyRequestLike {
  readonly raw: { readonly socket?: { readonly remoteAddress?: string | undefined } | undefined };
  readonly headers: IncomingHttpHeaders;
}

/** What the hook writes on a reply. */
export interface FastifyReplyLike {
  header(name: string, value: string): unknown;
  code(statusCode: number): unknown;
  type(contentType: string): unknown;
  send(payload?: unknown): unknown;
}

/** Options of {@link rateLimitHook}. */
export interface FastifyRateLimitOptions<
  Req extends FastifyRequestLike = FastifyRequestLike,
  Reply extends FastifyReplyLike = FastifyReplyLike,
> extends HttpRateLimitOptions<Req> {
  /**
   * Answers a denied request instead of the default (429, or 503 for a fail-closed store error, plain
   * text). The rate-limit fields and `Retry-After` are already set; send the reply and return it.
   */
  readonly onLimited?: (request: Req, reply: Reply, result: LimitResult) => unknown;
}

/** A Fastify async `onRequest` hook. */
export type FastifyRateLimitHook<
  Req extends FastifyRequestLike = FastifyRequestLike,
  Reply extends FastifyReplyLike = FastifyReplyLike,
> = (request: Req, reply: Reply) => Promise<unknown>;

const parseOptions = defineOptions('rateLimitHook', {
  ...httpOptionSpecs,
  onLimited: opt.fn<NonNullable<FastifyRateLimitOptions['onLimited']>>(),
});

function respond<Reply extends FastifyReplyLike>(reply: Reply, status: number, body: string): Reply {
  reply.code(status);
  reply.type('text/plain; charset=utf-8');
  reply.send(body);
  return reply;
}

/**
 * An async `onRequest` hook rate-limiting each request through `limiter`: sets `RateLimit`/
 * `RateLimit-Policy` (and `Retry-After` on denial), answers 429 (503 for a fail-closed store error) and
 * lets the rest through. The default key is the client address from `request.raw.socket` via `requestKey`
 * (`createRequestKey()`: no proxy trusted); Fastify's `trustProxy` and `request.ip` are not used. An
 * error for Fastify's error handler (`onError: 'next'`, or any error but `ERR_INVALID_ARGUMENT`) is thrown.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { rateLimitHook } from 'backend-patterns/ratelimit/fastify';
 *
 * const app = Fastify();
 * app.addHook('onRequest', rateLimitHook(limiter));
 * ```
 */
export function rateLimitHook<
  Req extends FastifyRequestLike = FastifyRequestLike,
  Reply extends FastifyReplyLike = FastifyReplyLike,
>(limiter: RateLimiter, options: FastifyRateLimitOptions<Req, Reply> = {}): FastifyRateLimitHook<Req, Reply> {
  const { core, parsed } = createHttpRateLimit<Req, ReturnType<typeof parseOptions>>(
    'rateLimitHook',
    limiter,
    options,
    parseOptions,
  );
  const onLimited = parsed.onLimited as FastifyRateLimitOptions<Req, Reply>['onLimited'];

  // Fastify treats a hook that sent a reply and resolved as finished: the handler does not run.
  return async (request, reply) => {
    const outcome = await core.decide(request, request.raw.socket?.remoteAddress, request.headers);
    if (outcome.kind === 'error') throw outcome.error;
    if (outcome.kind === 'invalid') return respond(reply, outcome.status, HTTP_BODIES[400]);
    for (const field in outcome.headers) reply.header(field, outcome.headers[field] as string);
    if (outcome.kind === 'pass') return undefined;
    if (onLimited) return onLimited(request, reply, outcome.result);
    return respond(reply, outcome.status, HTTP_BODIES[outcome.status]);
  };
}
