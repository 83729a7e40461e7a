/** The Fastify adapter over real HTTP (Fastify 5), plus what is specific to Fastify. */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/index.js';
import { rateLimitHook } from '../../src/ratelimit/fastify.js';
import { useRedisPrefix } from '../support/redis.js';
import {
  deniedSummary,
  type HttpHarness,
  httpAdapterSuite,
  send,
  testLimiter,
} from './fixtures/http-suite.js';

const headerOf = (req: FastifyRequest, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

async function listen(app: FastifyInstance, host: string): Promise<number> {
  await app.listen({ port: 0, host });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const harness: HttpHarness<FastifyRequest> = {
  name: 'fastify',
  async start(limiter, options, host) {
    let calls = 0;
    const app = Fastify();
    app.addHook('onRequest', rateLimitHook(limiter, options));
    app.get('/', async () => {
      calls += 1;
      return 'ok';
    });
    app.setErrorHandler((error, _request, reply) => {
      reply.code(500).send(`handler:${isBackendPatternsError(error) ? error.code : 'none'}`);
    });
    const port = await listen(app, host);
    return { port, handlerCalls: () => calls, close: () => app.close() };
  },
  header: headerOf,
};

httpAdapterSuite(harness, useRedisPrefix('http-fastify'));

describe('fastify specifics', () => {
  it('onLimited answers denials its own way, with the fields already set', async () => {
    const app = Fastify();
    app.addHook(
      'onRequest',
      rateLimitHook(testLimiter(1), {
        onLimited: (_request, reply: FastifyReply, result) =>
          reply.code(429).send({ error: 'slow down', why: deniedSummary(result) }),
      }),
    );
    app.get('/', async () => 'ok');
    try {
      const port = await listen(app, '127.0.0.1');
      await send(port);
      const denied = await send(port);
      expect(denied.status).toBe(429);
      expect(JSON.parse(denied.body)).toEqual({ error: 'slow down', why: 'limit:60000' });
      expect(denied.headers['retry-after']).toBe('60');
    } finally {
      await app.close();
    }
  });

  it("Fastify's trustProxy does not widen the hook's trust", async () => {
    const limiter = testLimiter(1);
    const app = Fastify({ trustProxy: true });
    let requestIp: string | undefined;
    app.addHook('onRequest', async (request) => {
      requestIp = request.ip;
    });
    app.addHook('onRequest', rateLimitHook(limiter));
    app.get('/', async () => 'ok');
    try {
      const port = await listen(app, '127.0.0.1');
      expect((await send(port, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
      expect(requestIp).toBe('198.51.100.1');
      expect((await send(port, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('scopes by encapsulation: a hook added inside a plugin limits only that plugin', async () => {
    const app = Fastify();
    app.register(async (scoped) => {
      scoped.addHook('onRequest', rateLimitHook(testLimiter(1)));
      scoped.get('/limited', async () => 'ok');
    });
    app.get('/', async () => 'free');
    try {
      await app.ready();
      const statuses = [];
      for (const url of ['/limited', '/limited', '/', '/'])
        statuses.push((await app.inject({ url })).statusCode);
      expect(statuses).toEqual([200, 429, 200, 200]);
    } finally {
      await app.close();
    }
  });

  it('refuses bad options at construction with ERR_INVALID_OPTION', () => {
    for (const options of [{ cost: -1 }, { onLimited: 'text' }, { peerAddress: () => '1.2.3.4' }]) {
      expect(() => rateLimitHook(testLimiter(1), options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
