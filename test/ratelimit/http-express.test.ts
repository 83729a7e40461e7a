/** The Express adapter over real HTTP (Express 5), plus what is specific to Express. */
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/index.js';
import { rateLimitMiddleware } from '../../src/ratelimit/express.js';
import { useRedisPrefix } from '../support/redis.js';
import {
  deniedSummary,
  type HttpHarness,
  httpAdapterSuite,
  portOf,
  send,
  testLimiter,
} from './fixtures/http-suite.js';

const listen = (app: express.Express, host: string) =>
  new Promise<Server>((resolve, reject) => {
    const server = app.listen(0, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

const errorCode = (error: unknown) => (isBackendPatternsError(error) ? error.code : 'none');

const harness: HttpHarness<Request> = {
  name: 'express',
  async start(limiter, options, host) {
    let calls = 0;
    const app = express();
    app.use(rateLimitMiddleware(limiter, options));
    app.get('/', (_req, res) => {
      calls += 1;
      res.send('ok');
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(`handler:${errorCode(error)}`);
    });
    const server = await listen(app, host);
    return { port: portOf(server), handlerCalls: () => calls, close: () => closeServer(server) };
  },
  header: (req, name) => req.get(name),
};

httpAdapterSuite(harness, useRedisPrefix('http-express'));

describe('express specifics', () => {
  it('onLimited answers denials its own way, with the fields already set', async () => {
    const app = express();
    app.use(
      rateLimitMiddleware(testLimiter(1), {
        onLimited: (_req, res, _next, result) => {
          res.statusCode = 429;
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ error: 'slow down', why: deniedSummary(result) }));
        },
      }),
    );
    app.get('/', (_req, res) => res.send('ok'));
    const server = await listen(app, '127.0.0.1');
    try {
      await send(portOf(server));
      const denied = await send(portOf(server));
      expect(denied.status).toBe(429);
      expect(JSON.parse(denied.body)).toEqual({ error: 'slow down', why: 'limit:60000' });
      expect(denied.headers['retry-after']).toBe('60');
      expect(denied.headers.ratelimit).toMatch(/;r=0;/);
    } finally {
      await closeServer(server);
    }
  });

  it("Express's trust proxy does not widen the middleware's trust", async () => {
    const limiter = testLimiter(1);
    const app = express();
    app.set('trust proxy', true); // req.ip now believes any X-Forwarded-For
    let reqIp: string | undefined;
    app.use((req, _res, next) => {
      reqIp = req.ip;
      next();
    });
    app.use(rateLimitMiddleware(limiter));
    app.get('/', (_req, res) => res.send('ok'));
    const server = await listen(app, '127.0.0.1');
    try {
      expect((await send(portOf(server), { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
      expect(reqIp).toBe('198.51.100.1');
      expect((await send(portOf(server), { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);
    } finally {
      await closeServer(server);
    }
  });

  it('works as a plain node:http handler too (Express 4 shape: no promise returned)', async () => {
    const { createServer } = await import('node:http');
    const middleware = rateLimitMiddleware(testLimiter(1));
    const server = createServer((req, res) => {
      const returned: unknown = middleware(req, res, (error) => {
        res.statusCode = error ? 500 : 200;
        res.end('ok');
      });
      expect(returned).toBeUndefined();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect((await send(portOf(server))).status).toBe(200);
      expect((await send(portOf(server))).status).toBe(429);
    } finally {
      await closeServer(server);
    }
  });

  it('refuses bad options at construction with ERR_INVALID_OPTION', () => {
    const limiter = testLimiter(1);
    const bad: unknown[] = [
      { cost: 0 },
      { cost: 1.5 },
      { cost: '2' },
      { key: 'user' },
      { skip: true },
      { headers: 'legacy' },
      { headers: { legacy: 'yes' } },
      { headers: { legacy: true, extra: 1 } },
      { onError: 'ignore' },
      { onLimited: 429 },
      { requestKey: { trustedProxies: ['loopback'] } },
      { trustedProxies: ['loopback'] },
      null,
    ];
    for (const options of bad) {
      expect(() => rateLimitMiddleware(limiter, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
    for (const notALimiter of [undefined, null, {}, { limit: 1 }]) {
      expect(() => rateLimitMiddleware(notALimiter as never)).toThrow(/`limiter` must be a RateLimiter/);
    }
  });
});
