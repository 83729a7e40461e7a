/**
 * The webhook provider: posts `{ type, timestamp, data }` as JSON to the message's URL, signed per
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL comes with each
 * message, often from a customer, so it is checked before every request: https only (http on loopback
 * only when allowed), no credentials, no IP literal of a private or reserved range, and redirects are
 * never followed (a redirect to an internal address would defeat the check).
 */
import { BlockList, isIP } from 'node:net';
import type { Clock } from '../../core/clock.js';
import { defineOptions, opt } from '../../core/options.js';
import { type NotifyProvider, ProviderError, type WebhookMessage } from '../provider.js';
import { messageIdOf, refuse } from './checks.js';
import { type FetchFunction, isLoopbackHost, poster, retryAfterMs, statusFailure } from './http.js';
import { secretsSpec, signatureHeader, type WebhookSecrets } from './webhook-signature.js';

/** Options of {@link createWebhookProvider}. */
export interface WebhookProviderOptions {
  /** The signing secret (`whsec_...`), or several during a rotation (each signs; receivers need one). */
  readonly secret: WebhookSecrets;
  /** Default the global `fetch`. Pass one with a filtering proxy to also stop DNS names of private hosts. */
  readonly fetch?: FetchFunction;
  /** Deadline of one delivery, ms. Default 15 000 (the spec recommends 15..30 s). */
  readonly timeoutMs?: number;
  /** Allows loopback targets (`localhost`, 127.0.0.0/8, ::1), over http too: for tests. Default false. */
  readonly allowHttpLoopback?: boolean;
  /** Allows IP literals of private ranges (10/8, 192.168/16, ...) over https. Default false. */
  readonly allowPrivateNetworks?: boolean;
  /** Largest body sent, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Whether receivers deduplicate on `webhook-id` (the spec asks them to), so an ambiguous delivery may
   * be retried. Default true.
   */
  readonly idempotent?: boolean;
  /** Default `webhook`. */
  readonly name?: string;
  /** `webhook-timestamp`, the body's `timestamp` and the deadline. Default the system clock. */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createWebhookProvider', {
  secret: opt.custom(secretsSpec, { required: true }),
  fetch: opt.fn<FetchFunction>(),
  timeoutMs: opt.duration({ default: 15_000, max: 300_000 }),
  allowHttpLoopback: opt.boolean({ default: false }),
  allowPrivateNetworks: opt.boolean({ default: false }),
  maxBodyBytes: opt.integer({ default: 1_048_576, max: 64 * 1_048_576 }),
  idempotent: opt.boolean({ default: true }),
  name: opt.name({ default: 'webhook' }),
  clock: opt.clock(),
});

/** Ranges no webhook should reach unless allowed: private, shared, link-local (cloud metadata), reserved. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
PRIVATE.addSubnet('ff00::', 8, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** The address family of an IP literal host (brackets removed, IPv4-mapped IPv6 unwrapped). */
function ipLiteral(hostname: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  const address = mapped ? (mapped[1] as string) : bare;
  const family = isIP(address);
  return family === 0 ? undefined : { address, family: family === 4 ? 'ipv4' : 'ipv6' };
}

interface UrlPolicy {
  readonly allowHttpLoopback: boolean;
  readonly allowPrivateNetworks: boolean;
}

/** The message's URL, or a permanent refusal saying why it may not be called. */
export function webhookUrl(provider: string, value: unknown, policy: UrlPolicy): URL {
  if (typeof value !== 'string' || value.length > 2048 || !URL.canParse(value)) {
    throw refuse(provider, '`url` must be an absolute URL of at most 2048 characters');
  }
  const url = new URL(value);
  if (url.username !== '' || url.password !== '') throw refuse(provider, '`url` must not carry credentials');
  const ip = ipLiteral(url.hostname);
  const loopback = ip ? LOOPBACK.check(ip.address, ip.family) : isLoopbackHost(url.hostname);
  if (loopback) {
    if (!policy.allowHttpLoopback)
      throw refuse(provider, '`url` is a loopback address (allowHttpLoopback is off)');
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  }
  if (url.protocol !== 'https:') throw refuse(provider, '`url` must be https');
  if (ip && PRIVATE.check(ip.address, ip.family) && !policy.allowPrivateNetworks) {
    throw refuse(provider, '`url` is a private or reserved address (allowPrivateNetworks is off)');
  }
  return url;
}

/** The JSON body, refused when it cannot be serialised or is too large. */
function webhookBody(provider: string, message: WebhookMessage, nowMs: number, maxBytes: number): Buffer {
  if (typeof message.type !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(message.type)) {
    throw refuse(provider, '`type` must be 1..128 characters of [A-Za-z0-9_.:-]');
  }
  let json: string;
  try {
    json = JSON.stringify({
      type: message.type,
      timestamp: new Date(nowMs).toISOString(),
      data: message.data ?? null,
    });
  } catch {
    throw refuse(provider, '`data` cannot be serialised as JSON (a cycle or a BigInt)');
  }
  const body = Buffer.from(json, 'utf8');
  if (body.byteLength > maxBytes) throw refuse(provider, `the body is larger than ${maxBytes} bytes`);
  return body;
}

/**
 * Creates the webhook provider. 2xx is delivered; 410 (the receiver is gone for good) and other 4xx
 * are permanent; 408, 429 and 5xx are unavailable (429 and 503 with `Retry-After`); a redirect is
 * permanent (never followed); a timeout after the body was sent is ambiguous.
 *
 * @example
 * ```ts
 * import { createWebhookProvider } from 'backend-patterns/notify/webhook';
 * const webhooks = createWebhookProvider({ secret: process.env.WEBHOOK_SECRET ?? '' });
 * ```
 */
export function createWebhookProvider(options: WebhookProviderOptions): NotifyProvider<WebhookMessage> {
  const o = parseOptions(options);
  const { name, clock } = o;
  const send = poster({ provider: name, timeoutMs: o.timeoutMs, clock, fetch: o.fetch });
  return {
    name,
    channel: 'webhook',
    idempotent: o.idempotent,
    async send(message, context) {
      if (typeof message !== 'object' || message === null || message.channel !== 'webhook') {
        throw refuse(name, 'the message must be a webhook (`channel: webhook`)');
      }
      const url = webhookUrl(name, message.url, o);
      const id = messageIdOf(name, message.messageId);
      const nowMs = clock.now();
      const body = webhookBody(name, message, nowMs, o.maxBodyBytes);
      const timestampSeconds = Math.floor(nowMs / 1000);
      const headers = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestampSeconds),
        'webhook-signature': signatureHeader(o.secret, id, timestampSeconds, body),
      };
      const reply = await send(url, headers, body.toString('utf8'), context.signal);
      if (reply.status >= 200 && reply.status < 300) return { providerMessageId: id };
      const wait = retryAfterMs(reply.headers, clock);
      const gone = reply.status === 410 ? ' (the endpoint is gone: disable it)' : '';
      throw new ProviderError(
        name,
        statusFailure(reply.status, 'permanent'),
        `${name}: HTTP ${reply.status}${gone}`,
        {
          status: reply.status,
          ...(wait === undefined ? {} : { retryAfterMs: wait }),
        },
      );
    },
  };
}
