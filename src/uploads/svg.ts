/**
 * SVG: is this text an SVG document, and does it carry anything active? An SVG served inline from the
 * app's origin runs its scripts there, so the policy refuses SVG by default; with `svg: 'attachment'`
 * it stores SVG but serves it only as a download, and still refuses any SVG this file finds active.
 *
 * The checks are deliberately blunt (a text scan, not an XML parser): they may refuse a harmless file
 * (an attribute-looking `on...=` in a text node), they must never pass an active one. Refused:
 * - elements `script`, `foreignObject`, `iframe`, `embed`, `object`, `handler`, `listener`, under any
 *   namespace prefix (`<svg:script`) and in any case (`<SCRIPT`);
 * - any `on*=` event attribute, and an animation targeting one (`<set attributeName="onclick">`);
 * - `javascript:`, `vbscript:`, `data:text/html`, `data:application/xhtml` and nested
 *   `data:image/svg+xml` URLs, after decoding character references (`java&#x73;cript:`, `&#106`,
 *   `&colon;`) and dropping the whitespace browsers ignore inside a scheme (`java\tscript:`);
 * - `<!ENTITY` declarations (entity expansion, XXE), a DOCTYPE internal subset, a DOCTYPE that points at
 *   anything but the W3C's SVG DTDs, and the `xml-stylesheet` processing instruction (XSLT).
 * The scan needs the whole document: a head proves nothing about what follows it.
 */

/** The root element's name (`svg`, `svg:svg`, `html`, ...) after the prolog, or undefined. */
export function rootElementName(text: string): string | undefined {
  let rest = text.replace(/^\uFEFF/, '');
  // Skip the prolog: whitespace, processing instructions, comments and one DOCTYPE, in any order.
  for (let guard = 0; guard < 1000; guard += 1) {
    rest = rest.trimStart();
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end < 0) return undefined;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->', 4);
      if (end < 0) return undefined;
      rest = rest.slice(end + 3);
    } else if (/^<!doctype/i.test(rest)) {
      const end = doctypeEnd(rest);
      if (end < 0) return undefined;
      rest = rest.slice(end);
    } else {
      break;
    }
  }
  return /^<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)/.exec(rest)?.[1];
}

/** Index just past the DOCTYPE that `text` starts with (brackets of an internal subset skipped). */
function doctypeEnd(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth += 1;
    else if (c === ']') depth -= 1;
    else if (c === '>' && depth <= 0) return i + 1;
  }
  return -1;
}

/** True when the root element is `svg` in any namespace prefix and any case (`SVG`, `svg:svg`). */
export function isSvgDocument(text: string): boolean {
  const root = rootElementName(text);
  return root !== undefined && (root.split(':').pop() ?? '').toLowerCase() === 'svg';
}

const NAMED_REFERENCES: ReadonlyMap<string, string> = new Map([
  ['colon', ':'],
  ['tab', '\t'],
  ['newline', '\n'],
  ['sol', '/'],
  ['lpar', '('],
  ['rpar', ')'],
  ['period', '.'],
  ['comma', ','],
]);

/** Decodes numeric character references (with or without `;`) and the named ones used to hide schemes. */
export function decodeCharacterReferences(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);?/gi, (whole, hex: string) => codePoint(Number.parseInt(hex, 16), whole))
    .replace(/&#([0-9]+);?/g, (whole, dec: string) => codePoint(Number.parseInt(dec, 10), whole))
    .replace(/&([a-z]+);/gi, (whole, name: string) => NAMED_REFERENCES.get(name.toLowerCase()) ?? whole);
}

function codePoint(value: number, fallback: string): string {
  return Number.isSafeInteger(value) && value >= 0 && value <= 0x10ffff
    ? String.fromCodePoint(value)
    : fallback;
}

const ACTIVE_ELEMENT = /<\s*(?:[\w.-]+:)?(script|foreignobject|iframe|embed|object|handler|listener)[\s/>]/i;
const EVENT_ATTRIBUTE = /[\s"'/;](?:[\w.-]+:)?on[a-z]+\s*=/i;
// SMIL animating an event attribute into existence: `<set attributeName="onclick" to="...">`.
const ANIMATED_EVENT = /attributeName\s*=\s*["']\s*(?:[\w.-]+:)?on[a-z]/i;
const ACTIVE_URL = /(javascript|vbscript):|data:(text\/html|application\/xhtml|image\/svg\+xml)/;
const W3C_SVG_PUBLIC_ID = /^-\/\/W3C\/\/DTD SVG [0-9.]+(?: Basic| Tiny)?\/\/EN$/;
const W3C_SVG_SYSTEM_ID =
  /^http:\/\/www\.w3\.org\/(?:Graphics\/SVG|TR\/2001\/REC-SVG-20010904)\/[\w./-]+\.dtd$/;

/** Why the DOCTYPE of `text` is unsafe, or undefined (none, or a W3C SVG DTD). */
function doctypeProblem(text: string): string | undefined {
  const start = text.search(/<!doctype/i);
  if (start < 0) return undefined;
  const end = doctypeEnd(text.slice(start));
  const doctype = end < 0 ? text.slice(start) : text.slice(start, start + end);
  if (doctype.includes('[')) return 'a DOCTYPE internal subset';
  const external = /\b(SYSTEM|PUBLIC)\b\s*(?:"([^"]*)"|'([^']*)')?\s*(?:"([^"]*)"|'([^']*)')?/i.exec(doctype);
  if (external === null) return undefined;
  if (external[1]?.toUpperCase() === 'SYSTEM') return 'a DOCTYPE that loads an external DTD';
  const publicId = external[2] ?? external[3] ?? '';
  const systemId = external[4] ?? external[5] ?? '';
  const known = W3C_SVG_PUBLIC_ID.test(publicId) && (systemId === '' || W3C_SVG_SYSTEM_ID.test(systemId));
  return known ? undefined : 'a DOCTYPE that loads an external DTD';
}

/**
 * Why the SVG `text` is unsafe to store (a short phrase such as `a <script> element`), or undefined when
 * none of the checks in this file's comment fires. Pass the whole document.
 */
export function svgUnsafeReason(text: string): string | undefined {
  if (/<!entity/i.test(text)) return 'an entity declaration';
  if (/<\?xml-stylesheet/i.test(text)) return 'an xml-stylesheet processing instruction';
  // XHTML inside SVG outside foreignObject (<h:meta http-equiv="refresh">, <h:base>, <h:form>): nothing an
  // image needs, and what it brings is navigation and forms.
  if (/http:\/\/www\.w3\.org\/1999\/xhtml/i.test(text)) return 'an XHTML namespace';
  const doctype = doctypeProblem(text);
  if (doctype !== undefined) return doctype;
  const decoded = decodeCharacterReferences(text);
  const element = ACTIVE_ELEMENT.exec(decoded);
  if (element !== null) return `a <${element[1]?.toLowerCase()}> element`;
  if (EVENT_ATTRIBUTE.test(decoded) || ANIMATED_EVENT.test(decoded)) return 'an event handler attribute';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: browsers drop these inside a URL scheme
  const squeezed = decoded.replace(/[\u0000-\u0020\u007f-\u009f]+/g, '').toLowerCase();
  const url = ACTIVE_URL.exec(squeezed);
  if (url !== null) return `a ${url[0]} URL`;
  return undefined;
}
