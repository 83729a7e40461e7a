import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { clamdMissing, pingClamd, startClamd } from './clamd.js';
import { clamdService, parseClamdUrl, probeClamd } from './clamd-service.js';
import { noClamd } from './clamd-suite.js';
import { processAlive } from './process-tree.js';
import { freePort } from './processes.js';
import { radosgwMissing, startRadosgw } from './radosgw.js';
import { createTestS3Client, noS3, useS3Bucket } from './s3.js';
import { s3ClientFor, signedListBucketsOk, wrongSecretStatus } from './s3-probe.js';
import { formatS3Url, parseS3Url, probeS3, s3Service } from './s3-service.js';
import { services } from './services.js';

const ci = process.env.CI === 'true';

describe('s3 and clamd service specs', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('are registered with S3_URL and CLAMD_URL, and default URLs that answer nothing', async () => {
    expect(services).toContain(s3Service);
    expect(services).toContain(clamdService);
    expect(s3Service.envVar).toBe('S3_URL');
    expect(clamdService.envVar).toBe('CLAMD_URL');
    expect(await s3Service.probe(s3Service.defaultUrl)).toBe(false);
    expect(await clamdService.probe(clamdService.defaultUrl)).toBe(false);
  });

  it('parse their URLs and refuse malformed ones', () => {
    const target = { endpoint: 'http://127.0.0.1:7480', accessKeyId: 'AK/1', secretAccessKey: 's+e:c@r' };
    expect(parseS3Url(formatS3Url(target))).toEqual({ ...target, region: 'us-east-1' });
    for (const bad of ['', 'not a url', 'http://127.0.0.1:7480', 'http://ak@127.0.0.1:1', 'ftp://a:b@h:1']) {
      expect(parseS3Url(bad)).toBeUndefined();
    }
    expect(parseClamdUrl('tcp://127.0.0.1:3310')).toEqual({ host: '127.0.0.1', port: 3310 });
    for (const bad of ['', 'tcp://127.0.0.1', 'http://127.0.0.1:3310', 'tcp://:1', 'garbage']) {
      expect(parseClamdUrl(bad)).toBeUndefined();
    }
  });

  it('refuse an S3 that accepts any signature (as s3rver does) and a clamd impostor', async () => {
    // Answers every request with an empty ListBuckets result, whatever the signature.
    const lenient = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>');
    });
    servers.push(lenient);
    const port = await freePort();
    await new Promise<void>((r) => lenient.listen(port, '127.0.0.1', () => r()));
    const target = { endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'a', secretAccessKey: 'b' };
    expect(await signedListBucketsOk(target)).toBe(true);
    expect(await wrongSecretStatus(target)).toBe(200);
    expect(await probeS3(formatS3Url(target))).toBe(false);
    // An HTTP server is no clamd: its reply to zPING is not PONG.
    expect(await probeClamd(`tcp://127.0.0.1:${port}`, 500)).toBe(false);
  });
});

describe.skipIf(!ci && radosgwMissing() !== undefined)('throwaway radosgw', () => {
  it('refuses a wrong secret and an anonymous PUT, accepts a signed one, and leaves nothing behind', async () => {
    const rgw = await startRadosgw();
    const client = s3ClientFor(rgw);
    try {
      expect(await probeS3(formatS3Url(rgw))).toBe(true);
      expect(await wrongSecretStatus(rgw)).toBe(403);
      await client.send(new CreateBucketCommand({ Bucket: 'harness' }));
      const anonymous = await fetch(`${rgw.endpoint}/harness/anon.txt`, { method: 'PUT', body: 'x' });
      expect(anonymous.status).toBe(403);
      await client.send(new PutObjectCommand({ Bucket: 'harness', Key: 'signed.txt', Body: 'hello' }));
      const read = await fetch(`${rgw.endpoint}/harness/signed.txt`);
      expect(read.status).toBe(403); // private by default: reading needs a signature too
    } finally {
      client.destroy();
      await rgw.stop();
    }
    expect(rgw.pids.filter((pid) => pid > 0)).toHaveLength(3);
    expect(rgw.pids.filter(processAlive)).toEqual([]);
    expect(existsSync(rgw.dir)).toBe(false);
    expect(await signedListBucketsOk(rgw, 500)).toBe(false);
    await rgw.stop(); // twice is fine
  });
  it('rejects with the daemon log when a daemon exits during start-up', async () => {
    const failed = startRadosgw({ rgwConfig: ['rgw frontends = beast endpoint=not-an-address:1'] });
    await expect(failed).rejects.toThrow(
      /client\.rgw\.a exited .* during radosgw start-up:\n[\s\S]*not-an-address/,
    );
  });
});

describe.skipIf(noS3)('useS3Bucket', () => {
  const client = noS3 ? undefined : createTestS3Client();
  afterAll(() => client?.destroy());
  let bucket = '';
  describe('a block with a bucket', () => {
    const scope = useS3Bucket('harness');
    it('gets a fresh bucket to write into', async () => {
      bucket = scope.bucket;
      await scope.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.txt', Body: 'x' }));
      await scope.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'open-upload' }));
    });
  });
  it('has the bucket emptied (objects and open uploads) and deleted after the block', async () => {
    expect(bucket).toMatch(/^bp-harness-[0-9a-f]{10}$/);
    await expect(client?.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe.skipIf(!ci && clamdMissing() !== undefined)('private clamd', () => {
  it('answers PING with PONG on TCP and its Unix socket, and stops leaving nothing behind', async () => {
    const clamd = await startClamd();
    try {
      expect(await pingClamd(clamd)).toBe(true);
      expect(await pingClamd({ socketPath: clamd.socketPath })).toBe(true);
      expect(await probeClamd(`tcp://${clamd.host}:${clamd.port}`)).toBe(true);
    } finally {
      await clamd.stop();
    }
    expect(processAlive(clamd.pid)).toBe(false);
    expect(existsSync(clamd.dir)).toBe(false);
    expect(await pingClamd(clamd, 300)).toBe(false);
  });

  it('rejects with the log when clamd exits during start-up', async () => {
    const failed = startClamd({ extraConfig: ['NoSuchClamdOption yes'] });
    await expect(failed).rejects.toThrow(/clamd exited.*\n[\s\S]*NoSuchClamdOption/);
  });
});

describe.skipIf(noClamd)('the run clamd', () => {
  it('answers PING', async () => {
    expect(await probeClamd(String(inject('services').clamd?.url))).toBe(true);
  });
});
