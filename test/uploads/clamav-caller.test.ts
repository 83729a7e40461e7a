import { describe, expect, it } from 'vitest';
import { createClamavScanner, DEFAULT_MAX_SCAN_BYTES } from '../../src/uploads/clamav.js';
import { inPieces, onStreamEnd, until, useFakeClamd } from './clamav-helpers.js';

const fast = { connectTimeoutMs: 500, scanTimeoutMs: 2000, idleTimeoutMs: 2000 } as const;

describe('createClamavScanner options', () => {
  it('has documented defaults', () => {
    const scanner = createClamavScanner();
    expect(scanner.name).toBe('clamav');
    expect(scanner.maxScanBytes).toBe(DEFAULT_MAX_SCAN_BYTES);
    expect(DEFAULT_MAX_SCAN_BYTES).toBe(25 * 1024 * 1024);
  });

  it.each([
    [{ socketPath: '/run/clamd.sock', host: '127.0.0.1' }, /not both/],
    [{ socketPath: '/run/clamd.sock', port: 3310 }, /not both/],
    [{ port: 0 }, /`port`/],
    [{ port: 65_536 }, /`port`/],
    [{ host: '' }, /`host`/],
    [{ maxScanBytes: 0 }, /`maxScanBytes`/],
    [{ maxScanBytes: 2 * 1024 ** 3 }, /`maxScanBytes`/],
    [{ maxScanBytes: 1.5 }, /`maxScanBytes`/],
    [{ chunkBytes: 0 }, /`chunkBytes`/],
    [{ chunkBytes: 9 * 1024 * 1024 }, /`chunkBytes`/],
    [{ connectTimeoutMs: 0 }, /`connectTimeoutMs`/],
    [{ scanTimeoutMs: Number.NaN }, /`scanTimeoutMs`/],
    [{ idleTimeoutMs: -1 }, /`idleTimeoutMs`/],
    [{ name: 'has space' }, /`name`/],
    [{ tiemoutMs: 5 }, /unknown option `tiemoutMs`/],
  ])('refuses %j', (options, message) => {
    expect(() => createClamavScanner(options as never)).toThrow(message);
    expect(() => createClamavScanner(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('clamav scanner: what is the caller’s', () => {
  const fake = useFakeClamd();
  const okServer = () =>
    fake((connection) => onStreamEnd(connection, () => connection.socket.end('stream: OK\0')));

  it('rethrows the error of a source that fails mid-stream, and drops the connection', async () => {
    const server = await okServer();
    const scanner = createClamavScanner({ port: server.port, ...fast });
    const failure = new Error('client went away');
    const source = (async function* () {
      yield Buffer.alloc(1000, 'a');
      throw failure;
    })();
    await expect(scanner.scan(source)).rejects.toBe(failure);
    await until(() => server.connections[0]?.closed() === true);
    // No end-of-stream marker went out: clamd never scanned a truncated file as if it were whole.
    expect(server.connections[0]?.received().subarray(-4).equals(Buffer.alloc(4))).toBe(false);
  });

  it('rejects a source that yields something other than bytes with ERR_INVALID_ARGUMENT', async () => {
    const server = await okServer();
    const scanner = createClamavScanner({ port: server.port, ...fast });
    const strings = (async function* () {
      yield 'not bytes' as unknown as Uint8Array;
    })();
    await expect(scanner.scan(strings)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it.each([undefined, null, 'bytes', Buffer.from('not iterable async'), {}])(
    'rejects a source of %s that is no async iterable with ERR_INVALID_ARGUMENT',
    async (source) => {
      const scanner = createClamavScanner({ port: 1, ...fast });
      await expect(scanner.scan(source as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    },
  );

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
    'rejects a declared sizeBytes of %s with ERR_INVALID_ARGUMENT',
    async (sizeBytes) => {
      const scanner = createClamavScanner({ port: 1, ...fast });
      await expect(
        scanner.scan(inPieces(Buffer.from('x'), 1), { sizeBytes: sizeBytes as number }),
      ).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    },
  );

  it('answers too_large for a declared size over the limit without connecting', async () => {
    const server = await okServer();
    const scanner = createClamavScanner({ port: server.port, maxScanBytes: 100, ...fast });
    expect(await scanner.scan(inPieces(Buffer.alloc(10), 5), { sizeBytes: 101 })).toEqual({
      status: 'too_large',
      limitBytes: 100,
    });
    // A declared size that lies low does not help: the stream is counted.
    expect(await scanner.scan(inPieces(Buffer.alloc(101), 50), { sizeBytes: 10 })).toEqual({
      status: 'too_large',
      limitBytes: 100,
    });
    expect(server.connections).toHaveLength(1);
  });

  it('rejects with the signal’s reason when aborted before or during a scan, and destroys the socket', async () => {
    const server = await fake(() => {});
    const scanner = createClamavScanner({ port: server.port, ...fast });
    const before = new AbortController();
    before.abort(new Error('cancelled before'));
    await expect(scanner.scan(inPieces(Buffer.alloc(10), 5), { signal: before.signal })).rejects.toThrow(
      'cancelled before',
    );
    expect(server.connections).toHaveLength(0);

    const during = new AbortController();
    let pulled = 0;
    const endless = (async function* () {
      for (;;) {
        pulled++;
        if (pulled === 5) during.abort(new Error('cancelled during'));
        yield Buffer.alloc(1000, 'e');
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await expect(scanner.scan(endless, { signal: during.signal })).rejects.toThrow('cancelled during');
    expect(pulled).toBeLessThan(8);
    await until(() => server.connections[0]?.closed() === true);
    expect(server.connections[0]?.received().subarray(-4).equals(Buffer.alloc(4))).toBe(false);
  });

  it('rejects an abort that comes while waiting for the reply', async () => {
    const server = await fake(() => {});
    const scanner = createClamavScanner({ port: server.port, ...fast, scanTimeoutMs: 60_000 });
    const controller = new AbortController();
    const scan = scanner.scan(inPieces(Buffer.alloc(100, 'w'), 100), { signal: controller.signal });
    await until(() => (server.connections[0]?.received().length ?? 0) >= 10 + 104 + 4);
    controller.abort(new Error('gave up waiting'));
    await expect(scan).rejects.toThrow('gave up waiting');
    await until(() => server.connections[0]?.closed() === true);
  });
});
