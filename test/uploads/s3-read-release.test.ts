/**
 * A read given up without being iterated must give its socket back. With a client of 5 sockets, 60
 * GetObject bodies aborted unread would hold all 5 forever if the store left them open, and the next
 * call would wait for a socket that never frees; with the fix it answers. Closing the iterator unread
 * (`return()`) or early (`break`) releases it too. (The aborted case also passes on the old store: the
 * SDK's Node handler destroys the request on abort for as long as it is open. The return() case fails
 * there: it is the regression test.)
 */
import { Agent } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/uploads/s3.js';
import { noS3, s3Config, useS3Bucket } from '../support/s3.js';

const READS = 60;

/** Resolves `promise`, or 'stuck' when it has not settled by `ms` (a hang, not a slow answer). */
const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), ms).unref())]);

describe.skipIf(noS3)('s3 read releases its connection', () => {
  const s3 = useS3Bucket('release');
  const config = s3Config();
  const agent = new Agent({ keepAlive: true, maxSockets: 5 });
  const client =
    config &&
    new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: agent, socketAcquisitionWarningTimeout: 60_000 }),
    });
  afterAll(() => {
    client?.destroy();
    agent.destroy();
  });
  const store = () => createS3ObjectStore({ client: client as S3Client, bucket: s3.bucket });

  it(`${READS} reads aborted unread, then a normal call still answers`, async () => {
    const objects = store();
    // Bigger than the socket buffers: the server cannot finish sending, so an unread body holds its socket.
    await objects.put('r/big.bin', new Uint8Array(4 * 1024 * 1024).fill(3), 'application/octet-stream');
    for (let i = 0; i < READS; i++) {
      const controller = new AbortController();
      const source = await settledWithin(objects.read('r/big.bin', controller.signal), 10_000);
      expect(source, `read ${i} got no socket`).not.toBe('stuck');
      controller.abort(new Error('scanner unavailable'));
    }
    const head = await settledWithin(objects.head('r/big.bin'), 10_000);
    expect(head).toMatchObject({ sizeBytes: 4 * 1024 * 1024 });
  }, 20_000);

  it(`${READS} reads closed with return() unread, then a normal call still answers`, async () => {
    // The regression: the old stream was an async generator, whose return() before the first next()
    // never reaches the body, so each such read kept its socket (the pool of 5 was gone after 5).
    const objects = store();
    await objects.put('r/b2.bin', new Uint8Array(4 * 1024 * 1024).fill(4), 'application/octet-stream');
    for (let i = 0; i < READS; i++) {
      const source = await settledWithin(objects.read('r/b2.bin'), 5_000);
      expect(source, `read ${i} got no socket`).not.toBe('stuck');
      if (source === 'stuck') return;
      await source[Symbol.asyncIterator]().return?.();
    }
    expect(await settledWithin(objects.head('r/b2.bin'), 5_000)).toMatchObject({ sizeBytes: 4194304 });
  }, 20_000);

  it('break out of for await releases it; a read to the end leaves nothing held', async () => {
    const objects = store();
    await objects.put('r/b3.bin', new Uint8Array(4 * 1024 * 1024).fill(5), 'application/octet-stream');
    for (let i = 0; i < 12; i++) {
      const source = await settledWithin(objects.read('r/b3.bin'), 5_000);
      expect(source, `read ${i} got no socket`).not.toBe('stuck');
      if (source === 'stuck') return;
      let bytes = 0;
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        if (i % 2 === 0) break;
      }
      if (i % 2 === 1) expect(bytes).toBe(4 * 1024 * 1024);
    }
    expect(await settledWithin(objects.head('r/b3.bin'), 5_000)).toMatchObject({ sizeBytes: 4194304 });
  }, 20_000);
});
