/**
 * The text rules on their own: UTF-8 decoding of full and partial heads, the CSV structure check
 * (delimiters, quotes, single-column files, prose that is not CSV), the JSON start and parse, the HTML
 * markers; then a fast-check property: any string the decoder accepts is valid UTF-8 without binary
 * controls, and no byte soup makes a check throw instead of answering.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMimeType } from '../../src/uploads/sniff-mime.js';
import { csvProblem, decodeText, findHtmlMarker, jsonProblem } from '../../src/uploads/sniff-text.js';
import { bytes, utf8 } from '../fixtures/uploads/heads.js';

describe('decodeText', () => {
  it('accepts UTF-8 with or without a BOM, with tab, LF, CR and form feed', () => {
    expect(decodeText(utf8('a\tb\nc\r\n\fd'), true)).toEqual({ ok: true, text: 'a\tb\nc\r\n\fd' });
    expect(decodeText(bytes([0xef, 0xbb, 0xbf], 'hi'), true)).toEqual({ ok: true, text: 'hi' });
  });

  it('refuses UTF-16 and UTF-32 BOMs, invalid UTF-8, NUL, other C0, DEL and C1', () => {
    for (const head of [
      bytes([0xff, 0xfe], 'h\0i\0'),
      bytes([0xfe, 0xff], '\0h\0i'),
      bytes([0, 0, 0xfe, 0xff]),
      bytes([0xc0, 0xaf]),
      bytes([0xed, 0xa0, 0x80]),
      bytes('a', [0], 'b'),
      utf8('a\u000bb'),
      utf8('a\u007fb'),
      utf8('a\u0085b'),
    ]) {
      expect(decodeText(head, true).ok).toBe(false);
    }
  });

  it('allows a sequence cut at the end of a partial head only', () => {
    const cut = utf8('\u{1F600}').subarray(0, 3);
    expect(decodeText(cut, false).ok).toBe(true);
    expect(decodeText(cut, true).ok).toBe(false);
    // A bad byte in the middle is bad either way.
    expect(decodeText(bytes([0x61, 0xff, 0x61]), false).ok).toBe(false);
  });

  it('answers, never throws, on arbitrary bytes; what it accepts is clean UTF-8', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (head, complete) => {
        const result = decodeText(head, complete);
        if (result.ok) {
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
          expect(result.text).not.toMatch(/[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/);
          if (complete) expect(Buffer.from(result.text, 'utf8').length).toBeLessThanOrEqual(head.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('csvProblem', () => {
  it('accepts comma, semicolon, tab and pipe files', () => {
    expect(csvProblem('a,b,c\n1,2,3\n4,5,6\n', true)).toBeUndefined();
    expect(csvProblem('a;b\r\n1;2\r\n', true)).toBeUndefined();
    expect(csvProblem('a\tb\n1\t2', true)).toBeUndefined();
    expect(csvProblem('a|b|c\n1|2|3\n', true)).toBeUndefined();
  });

  it('understands quotes: delimiters, doubled quotes and line breaks inside a field', () => {
    expect(csvProblem('name,note\n"Smith, J","said ""hi""\nthen left"\nx,y\n', true)).toBeUndefined();
    expect(csvProblem('a,b\n"never closed,1\n', true)).toBe('a quoted CSV field is never closed');
    // In a partial head the open quote may close later.
    expect(csvProblem('a,b\n"still going,1\n', false)).toBeUndefined();
  });

  it('accepts a single-column file and a single header line', () => {
    expect(csvProblem('email\na@x\nb@x\n', true)).toBeUndefined();
    expect(csvProblem('a,b,c', true)).toBeUndefined();
  });

  it('tolerates one odd record in ten, not more', () => {
    const rows = Array.from({ length: 9 }, (_, i) => `${i},x,y`);
    expect(csvProblem(['h1,h2,h3', ...rows, 'odd,one'].join('\n'), true)).toBeUndefined();
    expect(csvProblem(['h1,h2,h3', '1,2', '1,2,3,4', '1', 'a,b,c'].join('\n'), true)).toMatch(/field count/);
  });

  it('refuses prose with scattered commas as CSV', () => {
    const prose =
      'Dear team,\nthe report is late, sorry.\nIt will come tomorrow\nor, at worst, on Friday.\nBest\n';
    expect(csvProblem(prose, true)).toMatch(/field count/);
  });

  it('ignores the cut last record of a partial head', () => {
    expect(csvProblem('a,b,c\n1,2,3\n4,5', false)).toBeUndefined();
  });
});

describe('jsonProblem', () => {
  it('needs an object or array first', () => {
    expect(jsonProblem(' \n{"a":1}', true)).toBeUndefined();
    expect(jsonProblem('[1]', true)).toBeUndefined();
    for (const text of ['"s"', '42', 'true', 'null', '', '<html>', '\u00a0{}']) {
      expect(jsonProblem(text, true), text).toBeDefined();
    }
  });

  it('parses a complete document, not a partial head', () => {
    expect(jsonProblem('{"a": [1, 2', true)).toBe('the content is not valid JSON');
    expect(jsonProblem('{"a": [1, 2', false)).toBeUndefined();
    expect(jsonProblem('{"a": 1} trailing', true)).toBe('the content is not valid JSON');
  });
});

describe('findHtmlMarker', () => {
  it('finds markup a browser would sniff as HTML, in any case', () => {
    expect(findHtmlMarker('x <!DocType HTML>')).toBe('<!doctype html');
    expect(findHtmlMarker('<HTML>')).toBe('<html');
    expect(findHtmlMarker('a<script src=x>')).toBe('<script');
    expect(findHtmlMarker('<svg/onload=x>')).toBe('<svg');
    expect(findHtmlMarker('1 < 2 and <b>bold</b>')).toBeUndefined();
  });
});

describe('parseMimeType', () => {
  it('folds case and aliases, keeps the charset, refuses malformed values', () => {
    expect(parseMimeType('Image/JPG; Charset="UTF-8"')).toEqual({ essence: 'image/jpeg', charset: 'utf-8' });
    expect(parseMimeType('text/csv')).toEqual({ essence: 'text/csv', charset: undefined });
    for (const bad of [
      '',
      'png',
      'image/',
      '/png',
      'image/png/x',
      'ima ge/png',
      'image/p\u00e9ng',
      null,
      7,
    ]) {
      expect(parseMimeType(bad), String(bad)).toBeUndefined();
    }
  });
});
