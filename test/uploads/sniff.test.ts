/**
 * sniffType with the real file-type detector, through the hostile list: spoofed extension (PDF bytes
 * declared as PNG), spoofed content type, zero bytes, `image/png; charset=utf-8`, upper-case and
 * aliased types, unknown and malformed types, a 1-byte head, polyglots (GIF header + script as text,
 * PNG + ZIP), markup types, HTML as text, UTF-16 and invalid UTF-8 text; plus a detector that throws,
 * stalls or answers nonsense (each a typed ERR_UPLOAD_TYPE), and the head-size rule.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { isUploadRejected, type UploadErrorCode } from '../../src/uploads/errors.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { type SniffInput, sniffHeadBytes, sniffType } from '../../src/uploads/sniff.js';
import type { TypeDetector } from '../../src/uploads/types.js';
import { bytes, HEADS, noise, padded, utf8 } from '../fixtures/uploads/heads.js';

const detector = createFileTypeDetector();
const IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const TEXT = ['text/plain', 'text/csv', 'application/json'];

function sniff(head: Uint8Array, declaredType: string, overrides: Partial<SniffInput> = {}) {
  return sniffType({
    head,
    totalBytes: head.length,
    declaredType,
    allowed: [...IMAGES, 'application/pdf', 'application/zip', 'video/mp4', ...TEXT],
    detector,
    ...overrides,
  });
}

async function code(promise: Promise<unknown>): Promise<UploadErrorCode | string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (isUploadRejected(error)) return error.code;
    if (error instanceof Error && 'code' in error) return String(error.code);
    throw error;
  }
}

describe('sniffType: binary types', () => {
  for (const [name, head] of Object.entries(HEADS)) {
    it(`accepts a ${name} declared as ${head.mime}`, async () => {
      const result = await sniff(padded(head.bytes), head.mime);
      expect(result.contentType).toBe(head.mime);
      expect(result.disposition).toBeUndefined();
    });
  }

  it('gives the key extension of the sniffed type', async () => {
    expect((await sniff(HEADS.jpeg.bytes, 'image/jpeg')).ext).toBe('jpg');
    expect((await sniff(HEADS.pdf.bytes, 'application/pdf')).ext).toBe('pdf');
  });

  it('refuses a spoofed extension/type: PDF bytes declared image/png is a mismatch with both types', async () => {
    const error = await sniff(HEADS.pdf.bytes, 'image/png').catch((e: unknown) => e);
    expect(isUploadRejected(error, 'ERR_UPLOAD_TYPE_MISMATCH')).toBe(true);
    expect(error).toMatchObject({ details: { declaredType: 'image/png', detectedType: 'application/pdf' } });
    expect(await code(sniff(HEADS.png.bytes, 'image/jpeg'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(HEADS.zip.bytes, 'application/pdf'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });

  it('refuses a detected type that is not allowed even when declared honestly', async () => {
    const pdfOnlyImages = { allowed: IMAGES };
    expect(await code(sniff(HEADS.pdf.bytes, 'application/pdf', pdfOnlyImages))).toBe('ERR_UPLOAD_TYPE');
  });

  it('refuses what the detector cannot identify (random bytes, text, HTML declared as an image)', async () => {
    expect(await code(sniff(noise(4100), 'image/png'))).toBe('ERR_UPLOAD_TYPE');
    expect(await code(sniff(utf8('just text'), 'image/png'))).toBe('ERR_UPLOAD_TYPE');
    expect(await code(sniff(utf8('<svg onload="alert(1)"/>'), 'image/webp'))).toBe('ERR_UPLOAD_TYPE');
  });

  it('refuses a 1-byte head and a truncated signature as unidentifiable', async () => {
    expect(await code(sniff(new Uint8Array([0x89]), 'image/png'))).toBe('ERR_UPLOAD_TYPE');
    expect(await code(sniff(bytes('\x89PNG'), 'image/png'))).toBe('ERR_UPLOAD_TYPE');
  });

  it('refuses zero bytes with ERR_UPLOAD_EMPTY, whatever the type', async () => {
    expect(await code(sniff(new Uint8Array(0), 'image/png'))).toBe('ERR_UPLOAD_EMPTY');
    expect(await code(sniff(new Uint8Array(0), 'text/plain'))).toBe('ERR_UPLOAD_EMPTY');
    expect(await code(sniffType({ head: new Uint8Array(0), declaredType: 'x/y', allowed: [] }))).toBe(
      'ERR_UPLOAD_EMPTY',
    );
  });

  it('folds case, parameters and aliases before comparing', async () => {
    expect((await sniff(HEADS.png.bytes, 'IMAGE/PNG')).contentType).toBe('image/png');
    expect((await sniff(HEADS.png.bytes, 'image/png; charset=utf-8')).contentType).toBe('image/png');
    expect((await sniff(HEADS.jpeg.bytes, 'image/jpg')).contentType).toBe('image/jpeg');
    expect((await sniff(HEADS.jpeg.bytes, ' Image/PJPEG ')).contentType).toBe('image/jpeg');
    expect((await sniff(HEADS.zip.bytes, 'application/x-zip-compressed')).contentType).toBe(
      'application/zip',
    );
    // `allowed` is folded too.
    expect((await sniff(HEADS.jpeg.bytes, 'image/jpeg', { allowed: ['image/JPG'] })).contentType).toBe(
      'image/jpeg',
    );
  });

  it('refuses unknown, malformed and markup types with ERR_UPLOAD_TYPE', async () => {
    for (const declared of [
      'application/x-unknown',
      'png',
      'image/',
      '*/*',
      '',
      'image/png\r\nX: y',
      'a'.repeat(600),
    ]) {
      expect(await code(sniff(HEADS.png.bytes, declared)), JSON.stringify(declared.slice(0, 20))).toBe(
        'ERR_UPLOAD_TYPE',
      );
    }
    const markup = { allowed: ['text/html', 'application/xml', 'text/xml', 'application/javascript'] };
    for (const declared of markup.allowed) {
      expect(await code(sniff(utf8('<?xml version="1.0"?><a/>'), declared, markup))).toBe('ERR_UPLOAD_TYPE');
    }
    expect(await code(sniff(HEADS.png.bytes, 42 as unknown as string))).toBe('ERR_UPLOAD_TYPE');
  });

  it('needs a detector for binary types (a call without one is a programming error)', async () => {
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { detector: undefined }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('sees the first format of a PNG with a ZIP appended (documented: appended data is not caught)', async () => {
    const pngThenZip = bytes(padded(HEADS.png.bytes, 4200), HEADS.zip.bytes);
    expect((await sniff(pngThenZip, 'image/png')).contentType).toBe('image/png');
    expect(await code(sniff(pngThenZip, 'application/zip'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });
});

describe('sniffType: text types', () => {
  it('accepts UTF-8 text, CSV and JSON, with or without a BOM', async () => {
    expect((await sniff(utf8('hello\tworld\r\n\f'), 'text/plain')).contentType).toBe('text/plain');
    expect((await sniff(utf8('\uFEFFa,b\n1,2\n'), 'text/csv')).ext).toBe('csv');
    expect((await sniff(utf8('  {"a": 1}'), 'application/json; charset=UTF-8')).contentType).toBe(
      'application/json',
    );
    expect((await sniff(utf8('[1,2]'), 'text/json')).contentType).toBe('application/json');
    expect((await sniff(utf8('a;b\n'), 'application/csv')).contentType).toBe('text/csv');
  });

  it('treats application/vnd.ms-excel as CSV only when text/csv is allowed and it is not', async () => {
    const csv = utf8('a,b\n1,2\n');
    expect((await sniff(csv, 'application/vnd.ms-excel')).contentType).toBe('text/csv');
    const xlsToo = { allowed: ['text/csv', 'application/vnd.ms-excel'] };
    expect(await code(sniff(csv, 'application/vnd.ms-excel', xlsToo))).toBe('ERR_UPLOAD_TYPE');
  });

  it('refuses a polyglot: a GIF header with script, sent as text', async () => {
    const gifar = utf8('GIF89a/*<script>alert(1)</script>*/');
    const error = await sniff(gifar, 'text/plain').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_TYPE_MISMATCH', details: { detectedType: 'image/gif' } });
    expect(await code(sniff(utf8('%PDF-1.4 a,b\n'), 'text/csv'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    // Without a detector the text rules still refuse it: HTML markers.
    expect(await code(sniff(gifar, 'text/plain', { detector: undefined }))).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
  });

  it('refuses HTML sent as text/plain or CSV with ERR_UPLOAD_UNSAFE_CONTENT, unless allowed', async () => {
    for (const html of [
      '<!DOCTYPE html><p>',
      '<html>',
      'notes\n<SCRIPT>x</SCRIPT>',
      'a,<iframe src=x>',
      '<svg/onload=x>',
    ]) {
      expect(await code(sniff(utf8(html), 'text/plain')), html).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
    }
    expect(await code(sniff(utf8('a,b\n<script>,1\n'), 'text/csv'))).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
    expect((await sniff(utf8('<html>'), 'text/plain', { htmlInText: 'allow' })).contentType).toBe(
      'text/plain',
    );
    // Mentioning a tag name without markup is fine.
    expect((await sniff(utf8('use a script tag, or <scripts>'), 'text/plain')).contentType).toBe(
      'text/plain',
    );
  });

  it('refuses UTF-16 text, invalid UTF-8 and binary control bytes as not text', async () => {
    const utf16 = new Uint8Array(Buffer.from('\uFEFFhello', 'utf16le'));
    expect(await code(sniff(utf16, 'text/plain'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(bytes([0x68, 0x69, 0xc3, 0x28]), 'text/plain'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(bytes('abc', [0], 'def'), 'text/plain'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(utf8('colour \u001b[31mred'), 'text/plain'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(noise(4100), 'text/plain'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });

  it('refuses a text type declared with another charset', async () => {
    expect(await code(sniff(utf8('hello'), 'text/plain; charset=utf-16'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(utf8('hello'), 'text/plain; charset="ISO-8859-1"'))).toBe(
      'ERR_UPLOAD_TYPE_MISMATCH',
    );
    expect((await sniff(utf8('hello'), 'text/plain; charset="US-ASCII"')).contentType).toBe('text/plain');
  });

  it('allows a multi-byte character cut by the end of a partial head, not of a whole file', async () => {
    const cut = utf8('caf\u00e9').subarray(0, 4); // `caf` + the first byte of é
    expect((await sniff(cut, 'text/plain', { totalBytes: 5000 })).contentType).toBe('text/plain');
    expect((await sniff(cut, 'text/plain', { totalBytes: undefined })).contentType).toBe('text/plain');
    expect(await code(sniff(cut, 'text/plain', { totalBytes: 4 }))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });

  it('checks JSON: an object or array first, and the whole parse when the head is the file', async () => {
    expect(await code(sniff(utf8('"just a string"'), 'application/json'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await code(sniff(utf8('{"a": '), 'application/json'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect((await sniff(utf8('{"a": '), 'application/json', { totalBytes: 10_000 })).contentType).toBe(
      'application/json',
    );
    expect(await code(sniff(utf8('['.repeat(200_000)), 'application/json'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });
});

describe('sniffType: the detector is bounded', () => {
  const allowed = ['image/png'];

  it('turns a throwing detector into ERR_UPLOAD_TYPE with the cause', async () => {
    const boom = new Error('parser exploded');
    const throwing: TypeDetector = { sampleBytes: 4100, detect: () => Promise.reject(boom) };
    const error = await sniff(HEADS.png.bytes, 'image/png', { detector: throwing, allowed }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_TYPE', cause: boom });
    const syncThrow: TypeDetector = {
      sampleBytes: 4100,
      detect: () => {
        throw boom;
      },
    };
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { detector: syncThrow, allowed }))).toBe(
      'ERR_UPLOAD_TYPE',
    );
  });

  it('turns a detector answering nonsense into ERR_UPLOAD_TYPE', async () => {
    const nonsense = { sampleBytes: 4100, detect: async () => ({ ext: 'png' }) } as unknown as TypeDetector;
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { detector: nonsense, allowed }))).toBe(
      'ERR_UPLOAD_TYPE',
    );
  });

  it('turns a stalled detector into ERR_UPLOAD_TYPE (a TimeoutError cause) after detectTimeoutMs', async () => {
    const clock = createManualClock(0);
    const stalled: TypeDetector = { sampleBytes: 4100, detect: () => new Promise(() => {}) };
    const pending = sniff(HEADS.png.bytes, 'image/png', {
      detector: stalled,
      allowed,
      clock,
      detectTimeoutMs: 50,
    });
    const settled = pending.catch((e: unknown) => e);
    while (clock.pendingSleepers() === 0) await new Promise((r) => setImmediate(r));
    clock.advance(50);
    expect(await settled).toMatchObject({ code: 'ERR_UPLOAD_TYPE', cause: { code: 'ERR_TIMEOUT' } });
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('leaves no timer behind when the detector answers', async () => {
    const clock = createManualClock(0);
    await sniff(HEADS.png.bytes, 'image/png', { clock, allowed });
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('hands the detector at most its sampleBytes', async () => {
    const seen: number[] = [];
    const spy: TypeDetector = {
      sampleBytes: 16,
      detect: async (head) => {
        seen.push(head.length);
        return detector.detect(head);
      },
    };
    await sniff(padded(HEADS.png.bytes, 9000), 'image/png', { detector: spy, allowed });
    expect(seen).toEqual([16]);
  });
});

describe('sniffType: the call itself', () => {
  it('reads max(detector sampleBytes, 4,096) bytes', () => {
    expect(sniffHeadBytes(detector)).toBe(4100);
    expect(sniffHeadBytes()).toBe(4096);
    expect(sniffHeadBytes({ sampleBytes: 10, detect: async () => undefined })).toBe(4096);
  });

  it('refuses a bad head, totalBytes or allowed list with ERR_INVALID_ARGUMENT', async () => {
    expect(await code(sniff('GIF89a' as unknown as Uint8Array, 'image/gif'))).toBe('ERR_INVALID_ARGUMENT');
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { totalBytes: 3 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { totalBytes: 1.5 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await code(sniff(new Uint8Array(0), 'image/png', { totalBytes: 10 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await code(sniff(HEADS.png.bytes, 'image/png', { allowed: ['png'] }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});
