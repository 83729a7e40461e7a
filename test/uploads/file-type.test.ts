/**
 * The file-type 21 adapter: minimal heads of each format are detected, random bytes, text, 1-byte and
 * truncated heads are not, a long head is cut to the sample size; and the adapter, built as CommonJS
 * the way tsup builds it (file-type left external), still loads file-type through require(esm).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createFileTypeDetector, FILE_TYPE_SAMPLE_BYTES } from '../../src/uploads/file-type.js';
import { bytes, HEADS, noise, padded, utf8 } from '../fixtures/uploads/heads.js';

const detector = createFileTypeDetector();

describe('createFileTypeDetector', () => {
  it('says how many bytes it reads', () => {
    expect(detector.sampleBytes).toBe(FILE_TYPE_SAMPLE_BYTES);
    expect(FILE_TYPE_SAMPLE_BYTES).toBe(4100);
  });

  for (const [name, head] of Object.entries(HEADS)) {
    it(`detects a minimal ${name} head, bare and padded to 4,100 bytes`, async () => {
      expect((await detector.detect(head.bytes))?.mime).toBe(head.mime);
      expect((await detector.detect(padded(head.bytes)))?.mime).toBe(head.mime);
    });
  }

  it('returns the extension with the type, and nothing else', async () => {
    expect(await detector.detect(HEADS.jpeg.bytes)).toEqual({ mime: 'image/jpeg', ext: 'jpg' });
  });

  it('finds nothing in random bytes, plain text, JSON, CSV or HTML', async () => {
    expect(await detector.detect(noise(4100))).toBeUndefined();
    expect(await detector.detect(utf8('hello, world\n'.repeat(100)))).toBeUndefined();
    expect(await detector.detect(utf8('{"a": [1, 2, 3]}'))).toBeUndefined();
    expect(await detector.detect(utf8('a,b,c\n1,2,3\n'))).toBeUndefined();
    expect(await detector.detect(utf8('<!doctype html><html><script>x</script>'))).toBeUndefined();
  });

  it('finds nothing in an empty, 1-byte or truncated head', async () => {
    expect(await detector.detect(new Uint8Array(0))).toBeUndefined();
    expect(await detector.detect(new Uint8Array([0x89]))).toBeUndefined();
    expect(await detector.detect(bytes('\x89PNG'))).toBeUndefined();
    expect(await detector.detect(bytes([0xff, 0xd8]))).toBeUndefined();
    expect(await detector.detect(bytes('%PD'))).toBeUndefined();
  });

  it('reports what file-type says of polyglots: the first format wins', async () => {
    // GIFAR-style: a GIF header followed by script. The sniffer refuses it as text for this reason.
    expect((await detector.detect(utf8('GIF89a<script>alert(1)</script>')))?.mime).toBe('image/gif');
    // A PNG with a ZIP appended: the ZIP is past the head, so the head is just a PNG.
    const pngThenZip = bytes(padded(HEADS.png.bytes, 5000), HEADS.zip.bytes);
    expect((await detector.detect(pngThenZip))?.mime).toBe('image/png');
    // Any XML document, SVG included, is `application/xml` to file-type.
    expect((await detector.detect(utf8('<?xml version="1.0"?><svg xmlns="x"/>')))?.mime).toBe(
      'application/xml',
    );
  });

  it('reads only the first 4,100 bytes: a signature after them is not seen', async () => {
    const late = bytes(new Uint8Array(FILE_TYPE_SAMPLE_BYTES), HEADS.pdf.bytes);
    expect(await detector.detect(late)).toBeUndefined();
  });

  it('refuses a head that is not a Uint8Array with a typed error', async () => {
    await expect(detector.detect('GIF89a' as unknown as Uint8Array)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('the CommonJS build', () => {
  it('loads file-type 21 (ESM only) through require(esm) on this Node', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const dir = await mkdtemp(join(tmpdir(), 'bp-file-type-cjs-'));
    try {
      const outfile = join(dir, 'file-type.cjs');
      // As tsup does: CJS output, Node platform, the package's dependency left to `require`.
      await build({
        entryPoints: [join(root, 'src/uploads/file-type.ts')],
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        external: ['file-type'],
        outfile,
        logLevel: 'silent',
      });
      const script = join(dir, 'run.cjs');
      await writeFile(
        script,
        `const { createFileTypeDetector } = require(${JSON.stringify(outfile)});
createFileTypeDetector().detect(Buffer.from('%PDF-1.7\\n')).then((t) => console.log(JSON.stringify(t)));`,
      );
      const { stdout } = await promisify(execFile)(process.execPath, [script], {
        env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
      });
      expect(JSON.parse(stdout)).toEqual({ mime: 'application/pdf', ext: 'pdf' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
