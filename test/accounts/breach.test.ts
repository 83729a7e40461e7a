/**
 * The k-anonymity range checker against a real node:http server on loopback that speaks the Pwned
 * Passwords range API: padded replies, CRLF and LF, lower-case hex, slow replies (timed out on a manual
 * clock), 500s, redirects, garbage, invalid UTF-8, huge bodies, connection resets. The server records
 * every request, to prove only the 5-character prefix leaves the process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPasswordPolicy,
  createRangeBreachChecker,
  type RangeBreachCheckerOptions,
} from '../../src/accounts/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';

const PASSWORD = 'correct horse battery staple';
const DIGEST = createHash('sha1').update(PASSWORD, 'utf8').digest('hex').toUpperCase();
const PREFIX = DIGEST.slice(0, 5);
const SUFFIX = DIGEST.slice(5);

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** `n` padding lines: random suffixes with count 0, as the API adds them. */
const padding = (n: number) =>
  Array.from({ length: n }, () => `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
const realLines = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:${i + 1}`,
  );

/** A range reply listing our suffix with `count` among real and padding lines. */
function rangeBody(count: number | undefined, eol = '\r\n', ours = SUFFIX): string {
  const lines = [...realLines(20), ...padding(30)];
  if (count !== undefined) lines.splice(17, 0, `${ours}:${count}`);
  return lines.join(eol);
}

describe('createRangeBreachChecker', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  let requests: Recorded[] = [];
  let received: () => void = () => undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        received();
        handler(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    requests = [];
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(rangeBody(undefined));
  });

  const build = (options: Partial<RangeBreachCheckerOptions> = {}) => {
    const metrics = createMemoryMetrics();
    const clock = createManualClock(1_000_000);
    const checker = createRangeBreachChecker({ baseUrl, metrics, clock, ...options });
    return { checker, metrics, clock };
  };
  const reply = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
    handler = (_req, res) => res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
  };

  describe('answers', () => {
    it('finds a breached password in a padded CRLF reply', async () => {
      reply(200, rangeBody(52_579));
      const { checker, metrics } = build();
      expect(checker.kind).toBe('range-api');
      await expect(checker.check(PASSWORD)).resolves.toEqual({ status: 'breached', count: 52_579 });
      expect(metrics.observations('accounts.breach_check.duration', { status: 'breached' })).toEqual([0]);
      expect(metrics.counterValue('accounts.breach_check.errors')).toBe(0);
    });

    it('reads LF replies, lower-case hex and a trailing newline', async () => {
      reply(200, `${rangeBody(7, '\n', SUFFIX.toLowerCase())}\n`);
      await expect(build().checker.check(PASSWORD)).resolves.toEqual({ status: 'breached', count: 7 });
      reply(200, `${rangeBody(7)}\r\n`);
      await expect(build().checker.check(PASSWORD)).resolves.toEqual({ status: 'breached', count: 7 });
    });

    it('is clean when the suffix is absent', async () => {
      reply(200, rangeBody(undefined));
      await expect(build().checker.check(PASSWORD)).resolves.toEqual({ status: 'clean' });
    });

    it('ignores a padding entry (count 0), even for our suffix', async () => {
      reply(200, rangeBody(0));
      await expect(build().checker.check(PASSWORD)).resolves.toEqual({ status: 'clean' });
    });

    it('counts from minCount', async () => {
      reply(200, rangeBody(4));
      await expect(build({ minCount: 5 }).checker.check(PASSWORD)).resolves.toEqual({ status: 'clean' });
      await expect(build({ minCount: 4 }).checker.check(PASSWORD)).resolves.toEqual({
        status: 'breached',
        count: 4,
      });
    });

    it('hashes the UTF-8 bytes of the password (NUL and non-ASCII included)', async () => {
      const password = 'pässwörd\u0000\u{1F511}';
      const digest = createHash('sha1').update(Buffer.from(password, 'utf8')).digest('hex').toUpperCase();
      reply(200, rangeBody(9, '\r\n', digest.slice(5)));
      await expect(build().checker.check(password)).resolves.toEqual({ status: 'breached', count: 9 });
      expect(requests[0]?.url).toBe(`/range/${digest.slice(0, 5)}`);
    });
  });

  describe('privacy', () => {
    it('sends only the 5-character prefix, asks for padding and names itself', async () => {
      reply(200, rangeBody(3));
      await build({ userAgent: 'my-app/1.2' }).checker.check(PASSWORD);
      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request?.method).toBe('GET');
      expect(request?.url).toBe(`/range/${PREFIX}`);
      expect(request?.body).toBe('');
      expect(request?.headers['add-padding']).toBe('true');
      expect(request?.headers['user-agent']).toBe('my-app/1.2');
      const everything = JSON.stringify(request).toUpperCase();
      expect(everything).not.toContain(SUFFIX.slice(0, 8));
      expect(everything).not.toContain(PASSWORD.toUpperCase());
      expect(everything).not.toContain(DIGEST.slice(0, 6));
    });

    it('keeps a path of the base URL (a proxy) and drops trailing slashes', async () => {
      await build({ baseUrl: `${baseUrl}/proxy/hibp/` }).checker.check(PASSWORD);
      expect(requests[0]?.url).toBe(`/proxy/hibp/range/${PREFIX}`);
    });
  });

  describe('fails open', () => {
    async function unavailable(reason: string, options: Partial<RangeBreachCheckerOptions> = {}) {
      const { checker, metrics } = build(options);
      await expect(checker.check(PASSWORD)).resolves.toEqual({ status: 'unavailable', reason });
      expect(metrics.counterValue('accounts.breach_check.errors', { reason })).toBe(1);
      expect(metrics.observations('accounts.breach_check.duration', { status: 'unavailable' })).toHaveLength(
        1,
      );
    }

    it.each([500, 503, 429, 404, 204, 201])('on HTTP %i', async (status) => {
      reply(status, status === 204 ? '' : rangeBody(3));
      await unavailable('http-status');
    });

    it('on a redirect (never followed)', async () => {
      handler = (_req, res) => res.writeHead(302, { location: `${baseUrl}/elsewhere` }).end();
      await unavailable('network');
      expect(requests.map((r) => r.url)).toEqual([`/range/${PREFIX}`]);
    });

    it.each([
      ['plain text', 'hello world'],
      ['HTML', '<html><body>Service Unavailable</body></html>'],
      ['JSON', '{"count": 3}'],
      ['an empty body', ''],
      ['blank lines only', '\r\n\r\n'],
      ['a 36-character suffix', `${SUFFIX}0:3`],
      ['a 34-character suffix', `${SUFFIX.slice(1)}:3`],
      ['a negative count', `${SUFFIX}:-3`],
      ['a non-numeric count', `${SUFFIX}:three`],
      ['a count of 16 digits', `${SUFFIX}:1234567890123456`],
      ['spaces around the colon', `${SUFFIX} : 3`],
      ['one good line among garbage', `${rangeBody(3)}\r\nnot a line`],
      ['a NUL inside', `${SUFFIX}:3\u0000`],
    ])('on a garbage body: %s', async (_, body) => {
      reply(200, body);
      await unavailable('malformed');
    });

    it('on a body that is not UTF-8', async () => {
      reply(200, Buffer.concat([Buffer.from(`${SUFFIX}:3\r\n`), Buffer.from([0xff, 0xfe, 0xc3])]));
      await unavailable('malformed');
    });

    it('on a huge body streamed without a length (read stops at maxResponseBytes)', async () => {
      let written = 0;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const line = `${padding(1)[0]}\r\n`;
        const chunk = line.repeat(1000);
        const pump = () => {
          while (written < 64 * 1024 * 1024 && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => undefined);
        pump();
      };
      await unavailable('oversize', { maxResponseBytes: 65_536 });
      expect(written).toBeLessThan(64 * 1024 * 1024); // the client hung up long before the end
    });

    it('on a declared Content-Length over the cap', async () => {
      const body = rangeBody(3).repeat(40); // ~ 80 KB
      reply(200, body, { 'content-length': String(Buffer.byteLength(body)) });
      await unavailable('oversize', { maxResponseBytes: 4096 });
    });

    it('on a connection reset before the reply', async () => {
      handler = (req) => req.socket.destroy();
      await unavailable('network');
    });

    it('on a connection reset in the middle of the body', async () => {
      handler = (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
        res.write(rangeBody(3).slice(0, 500), () => req.socket.destroy());
      };
      await unavailable('network');
    });

    it('on a refused connection', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await unavailable('network', { baseUrl: `http://127.0.0.1:${port}` });
    });

    it('on a fetch that throws', async () => {
      const failing: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
      await unavailable('network', { fetch: failing });
    });

    it('on a reply that never comes (timeout on the clock)', async () => {
      handler = () => undefined; // holds the request
      const { checker, metrics, clock } = build({ timeoutMs: 1_500 });
      const arrived = new Promise<void>((resolve) => {
        received = resolve;
      });
      const pending = checker.check(PASSWORD);
      await arrived;
      clock.advance(1_499);
      clock.advance(1);
      await expect(pending).resolves.toEqual({ status: 'unavailable', reason: 'timeout' });
      expect(metrics.counterValue('accounts.breach_check.errors', { reason: 'timeout' })).toBe(1);
      expect(metrics.observations('accounts.breach_check.duration', { status: 'unavailable' })).toEqual([
        1.5,
      ]);
      expect(clock.pendingSleepers()).toBe(0);
    });

    it('on a body that stalls half-way (the deadline covers the body)', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(rangeBody(3).slice(0, 300));
      };
      const { checker, clock } = build({ timeoutMs: 800 });
      const arrived = new Promise<void>((resolve) => {
        received = resolve;
      });
      const pending = checker.check(PASSWORD);
      await arrived;
      clock.advance(800);
      await expect(pending).resolves.toEqual({ status: 'unavailable', reason: 'timeout' });
    });

    it('leaves no timer behind after an answer', async () => {
      const { checker, clock } = build();
      await checker.check(PASSWORD);
      expect(clock.pendingSleepers()).toBe(0);
    });
  });

  describe('options and arguments', () => {
    it.each([
      [{ baseUrl: 'http://api.pwnedpasswords.com' }, 'an https URL (http only on loopback)'],
      [{ baseUrl: 'ftp://127.0.0.1' }, 'an https URL'],
      [{ baseUrl: 'not a url' }, 'an absolute URL'],
      [{ baseUrl: 'https://u:p@example.com' }, 'without query, fragment or credentials'],
      [{ baseUrl: 'https://example.com/?k=v' }, 'without query, fragment or credentials'],
      [{ timeoutMs: 0 }, '`timeoutMs`'],
      [{ minCount: 0 }, '`minCount`'],
      [{ maxResponseBytes: 10 }, '`maxResponseBytes`'],
      [{ userAgent: 'bad\r\nX-Injected: 1' }, '`userAgent` must be 1..256 printable ASCII characters'],
      [{ fetch: 'fetch' }, '`fetch` must be a function'],
      [{ basUrl: 'https://x.test' }, 'unknown option `basUrl`'],
    ])('refuses %o', (options, message) => {
      try {
        createRangeBreachChecker(options as never);
        throw new Error('expected a throw');
      } catch (error) {
        expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' });
        expect((error as Error).message).toContain(message);
      }
    });

    it('accepts the defaults (https API) without calling it', () => {
      expect(createRangeBreachChecker().kind).toBe('range-api');
      expect(createRangeBreachChecker({ baseUrl: new URL('https://hibp.internal.example') }).kind).toBe(
        'range-api',
      );
    });

    it('refuses a non-string password as ERR_INVALID_ARGUMENT', async () => {
      await expect(build().checker.check(42 as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      expect(requests).toEqual([]);
    });
  });

  describe('with the password policy', () => {
    it('refuses a breached password and accepts a clean one', async () => {
      const { checker } = build();
      const policy = createPasswordPolicy({ breachChecker: checker });
      reply(200, rangeBody(3_861_493));
      const password = policy.check(PASSWORD);
      await expect(policy.checkBreached(password)).rejects.toMatchObject({
        code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
        reason: 'breached',
      });
      reply(200, rangeBody(undefined));
      await expect(policy.checkBreached(password)).resolves.toEqual({ status: 'clean' });
    });

    it('fails open with a metric when the API is down', async () => {
      const { checker, metrics } = build();
      const policy = createPasswordPolicy({ breachChecker: checker, metrics });
      reply(503, 'down');
      await expect(policy.checkBreached(policy.check(PASSWORD))).resolves.toEqual({
        status: 'unavailable',
        reason: 'http-status',
      });
      expect(metrics.counterValue('accounts.breach_check.errors', { reason: 'http-status' })).toBe(1);
      expect(metrics.counterValue('accounts.password_policy.breach_checks', { status: 'unavailable' })).toBe(
        1,
      );
    });
  });
});
