/**
 * SVG through sniffType with the real detector: refused by default; with `svg: 'attachment'` a clean
 * SVG is accepted as an attachment (with and without an `<?xml` prolog, which file-type calls XML) and
 * every active variant is ERR_UPLOAD_UNSAFE_CONTENT: `<script>` in any case or namespace, event
 * attributes, `javascript:` hidden by character references or whitespace, `<foreignObject>`, entity
 * declarations (billion laughs, XXE), external DTDs, xml-stylesheet. Also: the root must be `svg`,
 * the whole document is needed, and its size is bounded.
 */
import { describe, expect, it } from 'vitest';
import { isUploadRejected } from '../../src/uploads/errors.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { DEFAULT_MAX_SVG_BYTES, sniffType } from '../../src/uploads/sniff.js';
import { isSvgDocument, rootElementName, svgUnsafeReason } from '../../src/uploads/svg.js';
import { utf8 } from '../fixtures/uploads/heads.js';

const detector = createFileTypeDetector();
const NS = 'xmlns="http://www.w3.org/2000/svg"';
const CLEAN = `<svg ${NS} width="10" height="10"><rect width="10" height="10" fill="red"/></svg>`;
const W3C_DOCTYPE =
  '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">';

function sniffSvg(text: string, svg: 'reject' | 'attachment' = 'attachment', totalBytes?: number) {
  const head = utf8(text);
  return sniffType({
    head,
    totalBytes: totalBytes ?? head.length,
    declaredType: 'image/svg+xml',
    allowed: ['image/svg+xml', 'text/plain'],
    detector,
    svg,
  });
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (isUploadRejected(error)) return error.code;
    if (error instanceof Error && 'code' in error) return String(error.code);
    throw error;
  }
}

describe('SVG handling', () => {
  it("refuses SVG by default (svg: 'reject') with ERR_UPLOAD_TYPE", async () => {
    expect(await outcome(sniffSvg(CLEAN, 'reject'))).toBe('ERR_UPLOAD_TYPE');
  });

  it("accepts a clean SVG with svg: 'attachment', always as an attachment", async () => {
    expect(await sniffSvg(CLEAN)).toEqual({
      contentType: 'image/svg+xml',
      ext: 'svg',
      disposition: 'attachment',
    });
    const withProlog = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n${W3C_DOCTYPE}\n${CLEAN}`;
    expect((await sniffSvg(withProlog)).disposition).toBe('attachment');
    // Embedded raster images are fine.
    expect(
      await outcome(sniffSvg(`<svg ${NS}><image href="data:image/png;base64,iVBORw0KGgo="/></svg>`)),
    ).toBe('accepted');
  });

  it.each([
    ['script', `<svg ${NS}><script>alert(1)</script></svg>`],
    ['upper-case SCRIPT', `<svg ${NS}><SCRIPT>alert(1)</SCRIPT></svg>`],
    [
      'namespaced script',
      `<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>`,
    ],
    ['onload', `<svg ${NS} onload="alert(1)"/>`],
    ['ONCLICK with spaces', `<svg ${NS}><rect ONCLICK = "alert(1)"/></svg>`],
    ['event after a slash', `<svg ${NS}><rect/onmouseover="alert(1)"/></svg>`],
    ['javascript: href', `<svg ${NS}><a href="javascript:alert(1)"><text>x</text></a></svg>`],
    ['entity-encoded javascript:', `<svg ${NS}><a href="java&#x73;cript:alert(1)">x</a></svg>`],
    ['decimal references without ;', `<svg ${NS}><a href="&#106&#97&#118&#97script&#58alert(1)">x</a></svg>`],
    ['&colon; and a tab', `<svg ${NS}><a xlink:href="java\tscript&colon;alert(1)">x</a></svg>`],
    [
      'animate to javascript:',
      `<svg ${NS}><a><animate attributeName="href" values="javascript:alert(1)"/></a></svg>`,
    ],
    ['set attributeName=onclick', `<svg ${NS}><set attributeName="onclick" to="alert(1)"/></svg>`],
    ['foreignObject', `<svg ${NS}><foreignObject><div>x</div></foreignObject></svg>`],
    ['iframe', `<svg ${NS}><iframe src="https://evil"/></svg>`],
    ['nested SVG data URL', `<svg ${NS}><use href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`],
    [
      'entity declaration',
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><svg ${NS}>&b;</svg>`,
    ],
    ['external entity (XXE)', `<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg ${NS}>&x;</svg>`],
    ['external DTD', `<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg ${NS}/>`],
    [
      'unknown public DTD',
      `<!DOCTYPE svg PUBLIC "-//EVIL//DTD X//EN" "http://evil.example/x.dtd"><svg ${NS}/>`,
    ],
    ['xml-stylesheet', `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="x.xsl"?><svg ${NS}/>`],
    [
      'an XHTML meta refresh (review finding)',
      `<svg ${NS} xmlns:h="http://www.w3.org/1999/xhtml"><h:meta http-equiv="refresh" content="0;url=https://evil"/></svg>`,
    ],
    [
      'an XHTML form',
      `<svg ${NS}><g xmlns="http://www.w3.org/1999/xhtml"><form action="https://evil"/></g></svg>`,
    ],
  ])('refuses an SVG with %s as ERR_UPLOAD_UNSAFE_CONTENT, even as an attachment', async (_, text) => {
    expect(await outcome(sniffSvg(text))).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
  });

  it('refuses a document whose root is not svg as a mismatch', async () => {
    expect(await outcome(sniffSvg('<html><body>hi</body></html>'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await outcome(sniffSvg('<?xml version="1.0"?><note>hi</note>'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await outcome(sniffSvg('just text'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(await outcome(sniffSvg('<!-- never closed <svg/>'))).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });

  it('refuses an SVG that is not UTF-8 text', async () => {
    const utf16 = new Uint8Array(Buffer.from(`\uFEFF${CLEAN}`, 'utf16le'));
    const result = sniffType({
      head: utf16,
      totalBytes: utf16.length,
      declaredType: 'image/svg+xml',
      allowed: ['image/svg+xml'],
      svg: 'attachment',
    });
    expect(await outcome(result)).toBe('ERR_UPLOAD_TYPE_MISMATCH');
  });

  it('needs the whole document: a partial head is a programming error, over the limit is too large', async () => {
    expect(await outcome(sniffSvg(CLEAN, 'attachment', 50_000))).toBe('ERR_INVALID_ARGUMENT');
    expect(await outcome(sniffSvg(CLEAN, 'attachment', DEFAULT_MAX_SVG_BYTES + 1))).toBe(
      'ERR_UPLOAD_TOO_LARGE',
    );
    // A script after the first 4 KiB is still found, because the whole document is scanned.
    const late = `<svg ${NS}>${'<g/>'.repeat(2000)}<script>alert(1)</script></svg>`;
    expect(await outcome(sniffSvg(late))).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
  });

  it('refuses an SVG sent as text/plain (markup in text)', async () => {
    const head = utf8(CLEAN);
    const result = sniffType({
      head,
      totalBytes: head.length,
      declaredType: 'text/plain',
      allowed: ['text/plain'],
    });
    expect(await outcome(result)).toBe('ERR_UPLOAD_UNSAFE_CONTENT');
  });
});

describe('svg.ts helpers', () => {
  it('finds the root element past prolog, comments, PIs and a DOCTYPE with a subset', () => {
    expect(rootElementName(`\uFEFF <?xml version="1.0"?><!--c--><?pi x?>${W3C_DOCTYPE}<svg/>`)).toBe('svg');
    expect(rootElementName('<!DOCTYPE svg [ <!ELEMENT svg ANY> ]><svg:svg/>')).toBe('svg:svg');
    expect(rootElementName('<!DOCTYPE svg "a>b"><svg/>')).toBe('svg');
    expect(rootElementName('<?xml never closed')).toBeUndefined();
    expect(rootElementName('text')).toBeUndefined();
  });

  it('treats any namespace prefix and case of svg as SVG', () => {
    expect(isSvgDocument('<svg:svg/>')).toBe(true);
    expect(isSvgDocument('<SVG/>')).toBe(true);
    expect(isSvgDocument('<svgx/>')).toBe(false);
  });

  it('leaves a clean document alone and names what it found', () => {
    expect(svgUnsafeReason(CLEAN)).toBeUndefined();
    expect(svgUnsafeReason(`${W3C_DOCTYPE}${CLEAN}`)).toBeUndefined();
    expect(svgUnsafeReason(`<svg><script/></svg>`)).toBe('a <script> element');
    expect(svgUnsafeReason(`<svg><a href="vbscript:x"/></svg>`)).toBe('a vbscript: URL');
  });
});
