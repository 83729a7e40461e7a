/**
 * contentDisposition: the RFC 6266 header with an ASCII fallback and an RFC 5987 `filename*`. Hostile
 * names (quotes, backslashes, CR/LF header injection, `;`, `%`, lone surrogates, empty) must never end
 * the quoted string or start a new header; a property test checks the shape on arbitrary strings and
 * that `filename*` decodes back to the name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentDisposition } from '../../src/uploads/content-disposition.js';

// The whole header value: type, a quoted-string of safe ASCII, and an RFC 5987 ext-value.
const SHAPE =
  /^(attachment|inline); filename="[\x20\x21\x23-\x24\x26-\x3a\x3c-\x5b\x5d-\x7e]+"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/;

describe('contentDisposition', () => {
  it('gives both forms of a plain name', () => {
    expect(contentDisposition('report.pdf')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(contentDisposition('a b.txt', 'inline')).toBe(
      `inline; filename="a b.txt"; filename*=UTF-8''a%20b.txt`,
    );
  });

  it('folds accents in the fallback and percent-encodes UTF-8 in filename*', () => {
    expect(contentDisposition('résumé.pdf')).toBe(
      `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    );
    expect(contentDisposition('日本.txt')).toBe(
      `attachment; filename="_.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
    );
  });

  it('cannot be broken out of by quotes, backslashes, CR/LF, semicolons or percent', () => {
    const header = contentDisposition('a"; filename="evil.exe\r\nSet-Cookie: x=1;\\%41.txt');
    expect(header).toMatch(SHAPE);
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/; filename=/g)).toHaveLength(1);
    expect(header.split(';')).toHaveLength(3);
    expect(header).toContain(`filename*=UTF-8''a%22%3B%20filename%3D%22evil.exe`);
  });

  it("escapes the characters RFC 5987 forbids that encodeURIComponent keeps: ' ( ) *", () => {
    expect(contentDisposition("it's (a) *.txt")).toContain(`filename*=UTF-8''it%27s%20%28a%29%20%2A.txt`);
  });

  it('survives lone surrogates and names with nothing printable', () => {
    expect(contentDisposition('a\uD800.txt')).toContain(`filename*=UTF-8''a%EF%BF%BD.txt`);
    expect(contentDisposition('')).toBe(`attachment; filename="download"; filename*=UTF-8''download`);
    expect(contentDisposition('\r\n')).toBe(`attachment; filename="download"; filename*=UTF-8''download`);
  });

  it('refuses an unknown type or a non-string name with ERR_INVALID_ARGUMENT', () => {
    expect(() => contentDisposition('a', 'evil' as 'inline')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => contentDisposition(undefined as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('has the safe shape for any string, and filename* decodes back to it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.constantFrom('attachment', 'inline'),
        (name, type) => {
          const header = contentDisposition(name, type as 'attachment' | 'inline');
          expect(header).toMatch(SHAPE);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the expected name has no controls either
          const expected = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
          const encoded = header.split("filename*=UTF-8''")[1] ?? '';
          expect(decodeURIComponent(encoded)).toBe(expected.trim() === '' ? 'download' : expected);
        },
      ),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (name) => {
        expect(contentDisposition(name)).toMatch(SHAPE);
      }),
      { numRuns: 800 },
    );
  });
});
