/**
 * The body reader: the three kinds of source read the same bytes; hostile sources (string chunks, a thing
 * that is not a stream, an error mid-way, a close before the end, a client that disconnects) are typed
 * failures, reported even when nobody is reading; release stops reading without destroying or draining.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ChunkReader, openChunkReader, PrematureCloseError } from '../../src/uploads/stream-source.js';
import { chunksOf, failingReadable, patternBytes, settle, stallingReadable } from './stream-helpers.js';

async function readAll(reader: ChunkReader): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for (let chunk = await reader.read(); chunk !== undefined; chunk = await reader.read()) out.push(chunk);
  return Buffer.concat(out);
}

const noFailure = { onFailure: () => {} };

describe('openChunkReader', () => {
  const bytes = patternBytes(100_000);

  it('reads a Node Readable, a web stream and an async generator to the same bytes', async () => {
    const node = Readable.from([bytes.subarray(0, 10), bytes.subarray(10)], { objectMode: false });
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 7));
        controller.enqueue(bytes.subarray(7));
        controller.close();
      },
    });
    for (const source of [node, web, chunksOf(bytes.subarray(0, 1), bytes.subarray(1))]) {
      expect(Buffer.compare(await readAll(openChunkReader(source, noFailure)), Buffer.from(bytes))).toBe(0);
    }
  });

  it('refuses what is not a byte source, and chunks that are not bytes, with ERR_INVALID_ARGUMENT', async () => {
    for (const bad of [undefined, null, 42, 'text', bytes, [bytes], { read: 1 }]) {
      expect(() => openChunkReader(bad, noFailure)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    async function* strings() {
      yield 'not bytes';
    }
    await expect(openChunkReader(strings(), noFailure).read()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const encoded = Readable.from([Buffer.from('abc')]);
    encoded.setEncoding('utf8');
    await expect(openChunkReader(encoded, noFailure).read()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('rejects the read and reports the failure of a stream that errors mid-way', async () => {
    const failures: unknown[] = [];
    const reader = openChunkReader(failingReadable(patternBytes(10), new Error('boom')), {
      onFailure: (e) => failures.push(e),
    });
    expect((await reader.read())?.byteLength).toBe(10);
    await expect(reader.read()).rejects.toThrow('boom');
    expect(failures).toHaveLength(1);
  });

  it('reports a close before the end while nobody reads (the pipeline is busy writing a part)', async () => {
    const failures: unknown[] = [];
    const stream = stallingReadable(patternBytes(10));
    const reader = openChunkReader(stream, { onFailure: (e) => failures.push(e) });
    await reader.read();
    stream.destroy();
    await settle();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(PrematureCloseError);
    await expect(reader.read()).rejects.toBeInstanceOf(PrematureCloseError);
  });

  it('does not report an ordinary end, nor a close after it', async () => {
    const failures: unknown[] = [];
    const stream = Readable.from([Buffer.from('abc')]);
    const reader = openChunkReader(stream, { onFailure: (e) => failures.push(e) });
    expect((await readAll(reader)).toString()).toBe('abc');
    await settle();
    expect(stream.destroyed).toBe(true);
    expect(failures).toEqual([]);
  });

  it('release: a pending read resolves as the end, the stream is neither destroyed nor drained', async () => {
    let pulls = 0;
    const endless = new Readable({
      highWaterMark: 1024,
      read() {
        pulls += 1;
        this.push(Buffer.alloc(512));
      },
    });
    const reader = openChunkReader(endless, noFailure);
    await reader.read();
    reader.release();
    reader.release();
    await settle(20);
    const pullsAfterRelease = pulls;
    await settle(20);
    expect(pulls).toBe(pullsAfterRelease);
    expect(pulls).toBeLessThan(10);
    expect(endless.destroyed).toBe(false);
    expect(await reader.read()).toBeUndefined();
    // An error after release does not crash the process (a listener stays).
    endless.destroy(new Error('late'));
    await settle();

    const stalled = openChunkReader(stallingReadable(patternBytes(1)), noFailure);
    await stalled.read();
    const pending = stalled.read();
    stalled.release();
    expect(await pending).toBeUndefined();
  });

  it('release of an async iterator asks it to return without waiting for a read that never settles', async () => {
    let finished = false;
    async function* forever() {
      try {
        yield patternBytes(1);
        await new Promise(() => {});
      } finally {
        finished = true;
      }
    }
    const reader = openChunkReader(forever(), noFailure);
    await reader.read();
    void reader.read();
    reader.release();
    await settle();
    expect(finished).toBe(false); // return() is queued behind the stuck next(); release did not wait for it
    let cancelled = false;
    const web = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(patternBytes(4));
      },
      cancel() {
        cancelled = true;
      },
    });
    const webReader = openChunkReader(web, noFailure);
    await webReader.read();
    webReader.release();
    await settle();
    expect(cancelled).toBe(true);
  });

  it('reports a real HTTP client that disconnects mid-body', async () => {
    const failures: unknown[] = [];
    const got: { req?: IncomingMessage } = {};
    const server = createServer((req) => {
      got.req = req;
      const reader = openChunkReader(req, { onFailure: (e) => failures.push(e) });
      void reader.read().catch(() => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const client = request({
        port,
        host: '127.0.0.1',
        method: 'PUT',
        headers: { 'content-length': '1000' },
      });
      client.on('error', () => {});
      client.write(Buffer.alloc(10));
      for (let i = 0; i < 100 && got.req === undefined; i++) await settle();
      client.destroy();
      for (let i = 0; i < 200 && failures.length === 0; i++) await settle();
      expect(failures).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
