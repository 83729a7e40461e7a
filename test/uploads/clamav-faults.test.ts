import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClamavScanner } from '../../src/uploads/clamav.js';
import { freePort } from '../support/processes.js';
import { inPieces, onStreamEnd, until, useFakeClamd } from './clamav-helpers.js';

const body = Buffer.alloc(3000, 'x');
const fast = { connectTimeoutMs: 500, scanTimeoutMs: 300, idleTimeoutMs: 300 } as const;

describe('clamav scanner against servers that are not a healthy clamd', () => {
  const fake = useFakeClamd();

  it('answers unavailable, without a deadline, when nothing listens (TCP and Unix socket)', async () => {
    // Long deadlines: a refused connection must be seen as such, not waited out.
    const patient = { connectTimeoutMs: 60_000, scanTimeoutMs: 60_000, idleTimeoutMs: 60_000 };
    const tcp = createClamavScanner({ host: '127.0.0.1', port: await freePort(), ...patient });
    expect(await tcp.scan(inPieces(body, 100))).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/refused/),
    });
    expect(await tcp.ping()).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'bp-clamav-test-'));
    try {
      const unix = createClamavScanner({ socketPath: join(dir, 'missing.sock'), ...patient });
      expect(await unix.scan(inPieces(body, 100))).toEqual({
        status: 'unavailable',
        reason: expect.stringMatching(/no clamd socket/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers unavailable after scanTimeoutMs from a server that reads everything and never answers', async () => {
    const server = await fake(() => {});
    const scanner = createClamavScanner({ port: server.port, ...fast });
    expect(await scanner.scan(inPieces(body, 1000))).toEqual({
      status: 'unavailable',
      reason: 'clamd did not answer within 300 ms',
    });
    // It did speak INSTREAM: the command, length-prefixed chunks, the zero-length end.
    const got = server.connections[0]?.received() ?? Buffer.alloc(0);
    expect(got.subarray(0, 10).toString('latin1')).toBe('zINSTREAM\0');
    expect(got.readUInt32BE(10)).toBe(1000);
    expect(got.length).toBe(10 + 3 * (4 + 1000) + 4);
    await until(() => server.connections[0]?.closed() === true);
  });

  it('answers unavailable after idleTimeoutMs from a server that never reads, having pulled a bounded amount', async () => {
    const server = await fake(() => {}, { read: false });
    const scanner = createClamavScanner({ port: server.port, maxScanBytes: 1024 ** 3, ...fast });
    let pulledBytes = 0;
    const source = (async function* () {
      for (let i = 0; i < 16_384; i++) {
        pulledBytes += 64 * 1024;
        yield Buffer.alloc(64 * 1024, 'y');
      }
    })();
    expect(await scanner.scan(source)).toEqual({
      status: 'unavailable',
      reason: 'clamd took no bytes for 300 ms',
    });
    // Backpressure: what the kernel buffers hold plus one chunk, far from the 1 GiB on offer.
    expect(pulledBytes).toBeLessThan(64 * 1024 * 1024);
  });

  it.each([
    ['a reply that is not clamd', 'HELLO THERE\0', /unexpected: "HELLO THERE"/],
    ['another ERROR', 'UNKNOWN COMMAND ERROR\0', /clamd error/],
    [
      'OK with no NUL, then close',
      'stream: OK',
      /closed the connection without a complete reply: "stream: OK"/,
    ],
    ['half a line, then close', 'stream: O', /without a complete reply/],
    [
      'control characters',
      'stream: \x1b[31mEvil\x07 FOUND trailing\0',
      /unexpected: "stream: \?\[31mEvil\? FOUND trailing"/,
    ],
    ['a FOUND without a name', 'stream:  FOUND\0', /unexpected/],
  ])('answers unavailable for %s', async (_name, reply, reason) => {
    const server = await fake((connection) => onStreamEnd(connection, () => connection.socket.end(reply)));
    const scanner = createClamavScanner({ port: server.port, ...fast });
    expect(await scanner.scan(inPieces(body, 1000))).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(reason),
    });
  });

  it('answers unavailable for 5 KiB of garbage with no NUL, without waiting for a deadline', async () => {
    const server = await fake((connection) =>
      onStreamEnd(connection, () => connection.socket.write('A'.repeat(5000))),
    );
    const scanner = createClamavScanner({ port: server.port, ...fast, scanTimeoutMs: 60_000 });
    expect(await scanner.scan(inPieces(body, 1000))).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/without ending its reply/),
    });
  });

  it('does not take an OK given before the stream ended as clean', async () => {
    const server = await fake((connection) => connection.socket.write('stream: OK\0'));
    const scanner = createClamavScanner({ port: server.port, ...fast });
    const slow = (async function* () {
      yield Buffer.from('first');
      await new Promise((r) => setTimeout(r, 50));
      yield Buffer.from('second');
    })();
    expect(await scanner.scan(slow)).toEqual({
      status: 'unavailable',
      reason: 'clamd answered OK mid-stream',
    });
  });

  it('answers infected for a FOUND given early, and unavailable for a connection reset mid-stream', async () => {
    const found = await fake((connection) => connection.socket.end('stream: Early.Sig FOUND\0'));
    const early = createClamavScanner({ port: found.port, ...fast });
    const longSource = (async function* () {
      for (let i = 0; i < 100; i++) {
        yield Buffer.alloc(1000, 'z');
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    expect(await early.scan(longSource)).toEqual({ status: 'infected', signature: 'Early.Sig' });
    const reset = await fake((connection) =>
      connection.socket.once('data', () => connection.socket.resetAndDestroy()),
    );
    const scanner = createClamavScanner({ port: reset.port, ...fast });
    expect(await scanner.scan(inPieces(Buffer.alloc(512 * 1024, 'r'), 64 * 1024))).toMatchObject({
      status: 'unavailable',
    });
  });

  it('answers clean only for a NUL-terminated "stream: OK" after the whole stream', async () => {
    const server = await fake((connection) =>
      onStreamEnd(connection, () => connection.socket.end('stream: OK\0')),
    );
    const scanner = createClamavScanner({ port: server.port, ...fast });
    expect(await scanner.scan(inPieces(body, 1000))).toEqual({ status: 'clean' });
  });

  it('answers a ping only for PONG', async () => {
    const pong = await fake((connection) =>
      connection.socket.once('data', () => connection.socket.end('PONG\0')),
    );
    const silent = await fake(() => {});
    const wrong = await fake((connection) =>
      connection.socket.once('data', () => connection.socket.end('PONGX\0')),
    );
    expect(await createClamavScanner({ port: pong.port, ...fast }).ping()).toBe(true);
    expect(await createClamavScanner({ port: silent.port, ...fast }).ping()).toBe(false);
    expect(await createClamavScanner({ port: wrong.port, ...fast }).ping()).toBe(false);
    expect(pong.connections[0]?.received().toString('latin1')).toBe('zPING\0');
  });
});
