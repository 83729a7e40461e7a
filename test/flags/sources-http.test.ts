/**
 * The HTTP polling flag source against a real node:http server on loopback: the ETag flow (304s counted
 * on the server), failures (500s, redirects, slow headers and bodies, garbage, huge bodies, the server
 * going down and coming back) and the polling schedule with its backoff, on a manual clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createHttpFlagSource, type HttpFlagSourceOptions } from '../../src/flags/index.js';
import { eventually, record, rejectsWith, sampleConfig, served } from './source-helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The flag server: serves `state.body` with `state.etag`, answering 304 to a matching If-None-Match. */
const state = {
  body: JSON.stringify(sampleConfig(true, 'v1')) as string | Buffer,
  etag: '"e1"' as string | undefined,
  status: 200,
  requests: 0,
  notModified: 0,
  lastHeaders: {} as IncomingMessage['headers'],
  handler: undefined as Handler | undefined,
};
const flagServer: Handler = (req, res) => {
  if (state.status !== 200) {
    res.writeHead(state.status, { 'content-type': 'text/plain' }).end('upstream trouble');
    return;
  }
  if (state.etag !== undefined && req.headers['if-none-match'] === state.etag) {
    state.notModified += 1;
    res.writeHead(304, { etag: state.etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', ...(state.etag ? { etag: state.etag } : {}) });
  res.end(state.body);
};

let server: Server;
let port = 0;
let base = '';
const listen = () =>
  new Promise<void>((resolve) => {
    server = createServer((req, res) => {
      state.requests += 1;
      state.lastHeaders = req.headers;
      (state.handler ?? flagServer)(req, res);
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      base = `http://127.0.0.1:${port}`;
      resolve();
    });
  });
const shutDown = () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

beforeAll(listen);
afterAll(shutDown);
beforeEach(() => {
  state.body = JSON.stringify(sampleConfig(true, 'v1'));
  state.etag = '"e1"';
  state.status = 200;
  state.requests = 0;
  state.notModified = 0;
  state.handler = undefined;
});

const source = (extra: Partial<HttpFlagSourceOptions> = {}) =>
  createHttpFlagSource({ url: `${base}/flags.json`, ...extra });

describe('createHttpFlagSource: load', () => {
  it('GETs the config, then sends If-None-Match and answers a 304 from the config held', async () => {
    const s = source({
      headers: { authorization: 'Bearer t0ken', accept: 'text/html', 'If-None-Match': '"e1"' },
    });
    expect(s.kind).toBe('http');
    const first = await s.load();
    expect(first.version).toBe('v1');
    expect(state.lastHeaders['if-none-match']).toBeUndefined();
    expect(state.lastHeaders.authorization).toBe('Bearer t0ken');
    expect(state.lastHeaders.accept).toBe('application/json');
    const second = await s.load();
    expect(second).toBe(first);
    expect(state.lastHeaders['if-none-match']).toBe('"e1"');
    expect(state.notModified).toBe(1);
    state.body = JSON.stringify(sampleConfig(false, 'v2'));
    state.etag = '"e2"';
    expect((await s.load()).version).toBe('v2');
    expect(state.requests).toBe(3);
  });

  it('uses the ETag as the version when the body has none; no ETag means no conditional GET', async () => {
    state.body = JSON.stringify(sampleConfig(true));
    expect((await source().load()).version).toBe('"e1"');
    state.etag = undefined;
    const s = source();
    await s.load();
    await s.load();
    expect(state.lastHeaders['if-none-match']).toBeUndefined();
    expect(state.notModified).toBe(0);
  });

  it('calls the fetch it is given', async () => {
    let calls = 0;
    const s = source({
      fetch: (url, init) => {
        calls += 1;
        return fetch(url, init);
      },
    });
    await s.load();
    expect(calls).toBe(1);
  });

  it('non-2xx answers are FlagSourceErrors with the status; redirects are not followed', async () => {
    state.status = 500;
    await rejectsWith(
      source().load(),
      'ERR_FLAGS_SOURCE',
      /GET http:\/\/127\.0\.0\.1:\d+\/flags\.json: HTTP 500$/,
    );
    state.status = 404;
    await rejectsWith(source().load(), 'ERR_FLAGS_SOURCE', /HTTP 404/);
    state.handler = (_req, res) => res.writeHead(302, { location: 'http://example.com/flags.json' }).end();
    await rejectsWith(source().load(), 'ERR_FLAGS_SOURCE', /HTTP 302 \(redirects are not followed\)/);
    state.handler = (_req, res) => res.writeHead(304).end();
    await rejectsWith(source().load(), 'ERR_FLAGS_SOURCE', /HTTP 304 but no config is held/);
  });

  it('never echoes the query string (tokens) in messages', async () => {
    state.status = 503;
    const error = await rejectsWith(
      source({ url: `${base}/flags.json?token=s3cret` }).load(),
      'ERR_FLAGS_SOURCE',
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('garbage bodies are FlagSourceErrors with the reason', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['', /not valid JSON/],
      ['<html>Service Unavailable</html>', /not valid JSON/],
      ['{"flags": {', /not valid JSON/],
      ['[]', /got an array/],
      ['null', /got null/],
      ['"x"', /got string/],
      ['{"flags": 1}', /a `flags` object/],
      [Buffer.from([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ];
    for (const [body, reason] of cases) {
      state.body = body;
      state.etag = undefined;
      await rejectsWith(source().load(), 'ERR_FLAGS_SOURCE', reason);
    }
  });

  it('keeps `__proto__` keys as plain data', async () => {
    state.body = '{"flags": {"__proto__": {"polluted": true}}, "__proto__": {"polluted": true}}';
    const config = await source().load();
    expect(Object.hasOwn(config.flags, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body over maxBytes, by its Content-Length or while streaming it', async () => {
    state.handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '10000000' });
      res.write('{"flags": {}, "pad": "');
    };
    await rejectsWith(
      source({ maxBytes: 1000 }).load(),
      'ERR_FLAGS_SOURCE',
      /the body is 10000000 bytes, over the 1000-byte cap/,
    );
    state.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 20; i++) res.write('x'.repeat(100));
      res.end();
    };
    await rejectsWith(
      source({ maxBytes: 1000 }).load(),
      'ERR_FLAGS_SOURCE',
      /the body is over the 1000-byte cap/,
    );
    state.handler = undefined;
    state.body = `{"flags": {}, "pad": "${'x'.repeat(6 * 1024 * 1024)}"}`;
    await rejectsWith(source().load(), 'ERR_FLAGS_SOURCE', /over the 5242880-byte cap/);
  });

  it('times out a server slow to answer, and one slow to send the body, on the source clock', async () => {
    const pending: ServerResponse[] = [];
    const clock = createManualClock(0);
    state.handler = (_req, res) => {
      pending.push(res);
    };
    const slowHeaders = source({ clock, timeoutMs: 1000 }).load();
    await eventually(() => pending.length === 1);
    clock.advance(1000);
    await rejectsWith(slowHeaders, 'ERR_FLAGS_SOURCE', /timed out after 1000 ms/);
    state.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"flags": {');
      pending.push(res);
    };
    const slowBody = source({ clock, timeoutMs: 1000 }).load();
    await eventually(() => pending.length === 2);
    clock.advance(1000);
    await rejectsWith(slowBody, 'ERR_FLAGS_SOURCE', /timed out after 1000 ms/);
    for (const res of pending) res.destroy();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('rejects with `aborted` when the caller aborts, and once closed', async () => {
    state.handler = () => {}; // never answers
    const controller = new AbortController();
    const s = source({ timeoutMs: 600_000 });
    const loading = s.load(controller.signal);
    await eventually(() => state.requests === 1);
    controller.abort(new Error('init timeout'));
    await rejectsWith(loading, 'ERR_FLAGS_SOURCE', /aborted/);
    await s.close();
    await rejectsWith(s.load(), 'ERR_FLAGS_SOURCE', /closed/);
  });

  it('rejects bad options at construction', () => {
    const bad: unknown[] = [
      {},
      { url: 'not a url' },
      { url: 'http://example.com/flags.json' },
      { url: 'http://10.0.0.1/flags.json' },
      { url: 'ftp://127.0.0.1/flags.json' },
      { url: 'file:///etc/passwd' },
      { url: 'https://user:pass@example.com/flags.json' },
      { url: 'https://example.com', headers: { 'bad name': 'x' } },
      { url: 'https://example.com', headers: { 'x-a': 1 } },
      { url: 'https://example.com', headers: { 'x-a': 'line\nbreak' } },
      { url: 'https://example.com', headers: [] },
      { url: 'https://example.com', fetch: 'fetch' },
      { url: 'https://example.com', pollIntervalMs: 0 },
      { url: 'https://example.com', timeoutMs: -1 },
      { url: 'https://example.com', maxBytes: 1 },
      { url: 'https://example.com', pollIntervalMS: 1000 },
    ];
    for (const options of bad) {
      expect(() => createHttpFlagSource(options as HttpFlagSourceOptions), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
    for (const url of [
      'https://example.com/f',
      'http://localhost:1/f',
      'http://[::1]:1/f',
      'http://127.1.2.3/f',
    ]) {
      expect(createHttpFlagSource({ url: new URL(url) }).kind).toBe('http');
    }
  });
});

describe('createHttpFlagSource: watch', () => {
  it('delivers the config at once; a 304 poll delivers nothing; a change is delivered', async () => {
    const clock = createManualClock(0);
    const s = source({ clock, pollIntervalMs: 1000, timeoutMs: 600_000, random: () => 0 });
    await s.load();
    const rec = record(s);
    await eventually(() => rec.configs().length === 1, { what: 'initial' });
    expect(state.notModified).toBe(1); // the watch's first poll was conditional on load's ETag
    clock.advance(1000);
    await eventually(() => state.notModified === 2);
    state.body = JSON.stringify(sampleConfig(false, 'v2'));
    state.etag = '"e2"';
    await eventually(() => rec.configs().length === 2, { step: () => clock.advance(1000), what: 'change' });
    expect(served(rec.configs()[1])).toBe('off');
    expect(rec.errors()).toEqual([]);
    await s.close();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('backs off while polls fail (doubling to maxBackoffMs), reports each, then returns to the interval', async () => {
    const clock = createManualClock(0);
    const s = source({
      clock,
      pollIntervalMs: 1000,
      maxBackoffMs: 4000,
      timeoutMs: 600_000,
      random: () => 0,
    });
    const rec = record(s);
    await eventually(() => rec.configs().length === 1);
    state.status = 500;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    const advanceAndCount = async (ms: number) => {
      clock.advance(ms);
      await settle();
      return state.requests;
    };
    expect(await advanceAndCount(1000)).toBe(2); // fails: next in 2000
    await eventually(() => rec.errors().length === 1);
    expect(await advanceAndCount(1000)).toBe(2);
    expect(await advanceAndCount(1000)).toBe(3); // fails: next in 4000
    await eventually(() => rec.errors().length === 2);
    expect(await advanceAndCount(3000)).toBe(3);
    expect(await advanceAndCount(1000)).toBe(4); // fails: next in 4000 (the cap)
    await eventually(() => rec.errors().length === 3);
    expect(rec.errors()[0]?.message).toMatch(/HTTP 500/);
    state.status = 200;
    expect(await advanceAndCount(3000)).toBe(4);
    expect(await advanceAndCount(1000)).toBe(5); // 304: recovered, the held config is delivered again
    await eventually(() => rec.configs().length === 2);
    expect(await advanceAndCount(1000)).toBe(6); // back to the interval; an unchanged 304 delivers nothing
    expect(rec.configs()).toHaveLength(2);
    expect(state.notModified).toBe(2);
    await s.close();
  });

  it('survives the server going down mid-run and delivers again when it is back', async () => {
    const s = source({ pollIntervalMs: 100, maxBackoffMs: 200 });
    const rec = record(s);
    await eventually(() => rec.configs().length === 1);
    await shutDown();
    await eventually(() => rec.errors().length >= 1, { what: 'an error while down' });
    expect(rec.errors()[0]?.message).toMatch(/request failed \(ECONNREFUSED\)/);
    state.body = JSON.stringify(sampleConfig(false, 'v2'));
    state.etag = '"e2"';
    await listen();
    await eventually(() => rec.configs().length === 2, { what: 'recovery' });
    expect(rec.configs()[1]?.version).toBe('v2');
    await s.close();
  });

  it('a garbage answer mid-run is reported and the held config stays the last delivered', async () => {
    const clock = createManualClock(0);
    const s = source({ clock, pollIntervalMs: 1000, timeoutMs: 600_000, random: () => 0 });
    const rec = record(s);
    await eventually(() => rec.configs().length === 1);
    state.body = 'garbage';
    state.etag = '"e-bad"';
    await eventually(() => rec.errors().length === 1, { step: () => clock.advance(1000) });
    expect(rec.errors()[0]?.message).toMatch(/not valid JSON/);
    state.body = JSON.stringify(sampleConfig(true, 'v1'));
    state.etag = '"e1"';
    await eventually(() => rec.configs().length === 2, { step: () => clock.advance(2000) });
    expect(rec.configs()[1]?.version).toBe('v1');
    await s.close();
  });
});
