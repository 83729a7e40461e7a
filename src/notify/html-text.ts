/**
 * The text part of an email derived from its HTML, without a dependency: invisible elements dropped,
 * links kept as `text (url)`, block elements turned into line breaks, tags stripped, then entities
 * decoded (last, so an escaped `&lt;b&gt;` stays visible text and is never taken for a tag).
 */

/** A tag, with quoted attribute values that may contain `>`. */
const TAG = /<(?:"[^"]*"|'[^']*'|[^'">])*>/g;
const INVISIBLE = /<(head|style|script|title|template)\b[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const LINK = /<a\b((?:"[^"]*"|'[^']*'|[^'">])*)>([\s\S]*?)<\/a\s*>/gi;
const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const BREAK = /<br\b[^>]*>/gi;
const BLOCK_END = /<\/(p|div|h[1-6]|table|ul|ol|blockquote|section|article|header|footer)\s*>/gi;
const LINE_END = /<\/(tr|dt|dd)\s*>|<hr\b[^>]*>/gi;
const LIST_ITEM = /<li\b[^>]*>/gi;
const CELL_END = /<\/t[dh]\s*>/gi;

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  euro: '€',
  pound: '£',
  bull: '•',
  middot: '·',
  shy: '',
  zwnj: '',
};

function codePoint(n: number): string {
  // Surrogates, out-of-range and NUL are replaced, as the HTML spec does.
  if (!Number.isInteger(n) || n <= 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(n);
}

/** Decodes character references: the common named ones, decimal and hex. Unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return codePoint(Number.parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

const stripTags = (html: string) => html.replace(TAG, '');

function linkText(attributes: string, inner: string): string {
  const found = HREF.exec(attributes);
  const text = decodeEntities(stripTags(inner)).replace(/\s+/g, ' ').trim();
  const href = found ? decodeEntities(found[1] ?? found[2] ?? found[3] ?? '').trim() : '';
  if (href === '' || href.startsWith('#') || /^javascript:/i.test(href)) return text;
  const shown = href.replace(/^mailto:/i, '');
  if (text === '' || text === href || text === shown) return shown;
  return `${text} (${shown})`;
}

/**
 * Converts rendered HTML to readable plain text.
 *
 * @example
 * ```ts nocheck
 * htmlToText('<p>Hi &amp; welcome</p><p><a href="https://x.test/a?b=1&amp;c=2">Start</a></p>');
 * // 'Hi & welcome\n\nStart (https://x.test/a?b=1&c=2)'
 * ```
 */
export function htmlToText(html: string): string {
  // Links become placeholders first, so their URL survives tag stripping; the private-use fences
  // (removed from the input first) keep the already-decoded link text from being decoded twice.
  const links: string[] = [];
  let text = html
    .replace(/[\ue000\ue001]/g, '')
    .replace(COMMENT, '')
    .replace(INVISIBLE, '')
    .replace(LINK, (_, attributes: string, inner: string) => {
      links.push(linkText(attributes, inner));
      return `\ue000${links.length - 1}\ue001`;
    })
    .replace(/\s+/g, ' ')
    .replace(BREAK, '\n')
    .replace(BLOCK_END, '\n\n')
    .replace(LINE_END, '\n')
    .replace(LIST_ITEM, '\n- ')
    .replace(CELL_END, ' ');
  text = decodeEntities(stripTags(text)).replace(
    /\ue000(\d+)\ue001/g,
    (_, i: string) => links[Number(i)] ?? '',
  );
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
