/**
 * The Express middleware behind a proxy: the app trusts only the proxy's address (loopback here, where
 * this script plays the proxy), keys the client the proxy appended to X-Forwarded-For, and ignores what a
 * client wrote to the left of it. The script sends its own traffic, prints what came back, and stops.
 *
 *   npm run example -- ratelimit-http
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRateLimiter, createRequestKey, slidingWindowLog } from 'backend-patterns/ratelimit';
import { rateLimitMiddleware } from 'backend-patterns/ratelimit/express';
import express from 'express';

const limiter = createRateLimiter({
  name: 'example-http',
  algorithm: slidingWindowLog({ limit: 2, windowMs: 60_000 }),
});

const app = express();
app.use(
  rateLimitMiddleware(limiter, {
    // Your load balancer's addresses; never 'trust everything'.
    requestKey: createRequestKey({ trustedProxies: ['loopback'] }),
  }),
);
app.get('/', (_req, res) => {
  res.send('ok\n');
});

const server = await new Promise<Server>((resolve) => {
  const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
});
const { port } = server.address() as AddressInfo;

/** One request as the proxy forwards it: whatever the client sent, then the address the proxy saw. */
async function viaProxy(clientWrote: string | undefined, clientAddress: string) {
  const forwardedFor = clientWrote ? `${clientWrote}, ${clientAddress}` : clientAddress;
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-for': forwardedFor } });
  const retry = response.headers.get('retry-after');
  console.log(
    `  X-Forwarded-For: ${forwardedFor.padEnd(28)} -> ${response.status}  RateLimit: ${response.headers.get('ratelimit') ?? '-'}${retry ? `  Retry-After: ${retry}` : ''}`,
  );
}

console.log(`express on 127.0.0.1:${port}, 2 requests per minute per client; 198.51.100.7 sends 3:`);
await viaProxy(undefined, '198.51.100.7');
await viaProxy(undefined, '198.51.100.7');
await viaProxy(undefined, '198.51.100.7');
console.log('it now claims to be someone else (a spoofed left-most entry): still its own bucket');
await viaProxy('203.0.113.50', '198.51.100.7');
console.log('another client is limited separately; an IPv6 client by its /64:');
await viaProxy(undefined, '198.51.100.8');
await viaProxy(undefined, '2001:db8:1:2::1');
await viaProxy(undefined, '2001:db8:1:2::ffff');
await viaProxy(undefined, '2001:db8:1:2::abcd');
server.close();
