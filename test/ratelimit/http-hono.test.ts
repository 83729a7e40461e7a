/** The Hono adapter over real HTTP (Hono 4 on @hono/node-server), plus what is specific to Hono. */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/index.js';
import { rateLimitMiddleware } from '../../src/ratelimit/hono.js';
import { useRedisPrefix } from '../support/redis.js';
import {
  deniedSummary,
  type HttpHarness,
  httpAdapterSuite,
  portOf,
  send,
  testLimiter,
} from './fixtures/http-suite.js';

async function listen(app: Hono, host: string): Promise<Server> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return server;
}
const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

const harness: HttpHarness<Context> = {
  name: 'hono',
  async start(limiter, options, host) {
    let calls = 0;
    const app = new Hono();
    app.use(rateLimitMiddleware(limiter, options));
    app.get('/', (c) => {
      calls += 1;
      return c.text('ok');
    });
    app.onError((error, c) => c.text(`handler:${isBackendPatternsError(error) ? error.code : 'none'}`, 500));
    const server = await listen(app, host);
    return { port: portOf(server), handlerCalls: () => calls, close: () => closeServer(server) };
  },
  header: (c, name) => c.req.header(name),
};

httpAdapterSuite(harness, useRedisPrefix('http-hono'));

describe('hono specifics', () => {
  it('onLimited builds the denial, and the fields reach raw Responses of handlers too', async () => {
    const app = new Hono();
    app.use(
      rateLimitMiddleware(testLimiter(1), {
        onLimited: (c: Context, result, headers) =>
          c.json({ error: 'slow down', why: deniedSummary(result) }, 429, headers),
      }),
    );
    app.get('/', () => new Response('raw', { headers: { 'x-handler': '1' } }));
    const server = await listen(app, '127.0.0.1');
    try {
      const allowed = await send(portOf(server));
      expect(allowed.body).toBe('raw');
      expect(allowed.headers['x-handler']).toBe('1');
      expect(allowed.headers.ratelimit).toMatch(/;r=0;/);
      const denied = await send(portOf(server));
      expect(denied.status).toBe(429);
      expect(JSON.parse(denied.body)).toEqual({ error: 'slow down', why: 'limit:60000' });
      expect(denied.headers['retry-after']).toBe('60');
    } finally {
      await closeServer(server);
    }
  });

  it("peerAddress takes another source, e.g. the node-server's getConnInfo", async () => {
    const limiter = testLimiter(1);
    const app = new Hono();
    app.use(rateLimitMiddleware(limiter, { peerAddress: (c: Context) => getConnInfo(c).remote.address }));
    app.get('/', (c) => c.text('ok'));
    const server = await listen(app, '127.0.0.1');
    try {
      expect((await send(portOf(server))).status).toBe(200);
      expect((await limiter.peek('ip:127.0.0.1')).allowed).toBe(false);
    } finally {
      await closeServer(server);
    }
  });

  it('without a peer address (no node-server, no peerAddress) every request is 400, never a shared bucket', async () => {
    const limiter = testLimiter(1);
    const app = new Hono();
    app.use(rateLimitMiddleware(limiter));
    app.get('/', (c) => c.text('ok'));
    const answers = [await app.request('/'), await app.request('/')];
    expect(answers.map((a) => a.status)).toEqual([400, 400]);
  });
});
