/**
 * MIME type parsing and the equivalences the sniffer applies before comparing a declared type with a
 * detected one. Comparison is on the canonical essence (`type/subtype`, lower case, aliases folded):
 * `IMAGE/JPG; foo=bar` and `image/jpeg` are the same type. Parameters are dropped, except `charset`,
 * which the sniffer checks for text types (only UTF-8 text is accepted).
 */

/** A parsed Content-Type. */
export interface ParsedMimeType {
  /** Canonical essence: lower case, alias folded (`image/jpg` → `image/jpeg`). */
  readonly essence: string;
  /** The `charset` parameter, lower case, quotes removed; undefined when absent. */
  readonly charset: string | undefined;
}

/** Longest Content-Type value parsed; longer ones are malformed (RFC 6838 caps names at 127 + 127). */
const MAX_CONTENT_TYPE_LENGTH = 512;
const ESSENCE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * Aliases → the canonical name, which is the one file-type 21 reports where it detects the type.
 * `image/apng` folds into `image/png`: an animated PNG is a valid PNG and clients declare it so.
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['image/jpg', 'image/jpeg'],
  ['image/pjpeg', 'image/jpeg'],
  ['image/x-png', 'image/png'],
  ['image/apng', 'image/png'],
  ['image/x-ms-bmp', 'image/bmp'],
  ['image/x-bmp', 'image/bmp'],
  ['image/vnd.microsoft.icon', 'image/x-icon'],
  ['image/svg', 'image/svg+xml'],
  ['application/x-pdf', 'application/pdf'],
  ['application/x-zip-compressed', 'application/zip'],
  ['application/x-zip', 'application/zip'],
  ['application/x-gzip', 'application/gzip'],
  ['audio/mp3', 'audio/mpeg'],
  ['audio/x-wav', 'audio/wav'],
  ['audio/wave', 'audio/wav'],
  ['audio/vnd.wave', 'audio/wav'],
  ['text/x-csv', 'text/csv'],
  ['application/csv', 'text/csv'],
  ['application/x-csv', 'text/csv'],
  ['text/comma-separated-values', 'text/csv'],
  ['text/json', 'application/json'],
  ['application/x-json', 'application/json'],
]);

/**
 * What Windows browsers send for a `.csv` when Excel is installed. It means CSV only when the policy
 * allows `text/csv` and not `application/vnd.ms-excel` itself (then it is an .xls and must be one).
 */
export const EXCEL_CSV_ALIAS = 'application/vnd.ms-excel';

/** Types the sniffer checks with its own text rules (file-type cannot detect them). */
export const TEXT_TYPES: ReadonlySet<string> = new Set([
  'text/plain',
  'text/csv',
  'application/json',
  'image/svg+xml',
]);

/**
 * Types never accepted, whatever `allowed` says: a browser runs script in them when served inline, and
 * no check on a head can prove a document of them harmless. (SVG has its own, opt-in handling.)
 */
export const MARKUP_TYPES: ReadonlySet<string> = new Set([
  'text/html',
  'application/xhtml+xml',
  'text/xml',
  'application/xml',
  'text/javascript',
  'application/javascript',
  'application/ecmascript',
  'text/ecmascript',
  'application/x-shockwave-flash',
  'text/xsl',
  'application/mathml+xml',
]);

/** The canonical name of an essence that is already lower case. */
export function canonicalEssence(essence: string): string {
  return ALIASES.get(essence) ?? essence;
}

/**
 * Parses a Content-Type value: `undefined` when it is not a string or not `type/subtype` made of RFC
 * 6838 name characters (a bare `png`, `image/`, `*\/*`, control characters, 512+ characters).
 */
export function parseMimeType(value: unknown): ParsedMimeType | undefined {
  if (typeof value !== 'string' || value.length > MAX_CONTENT_TYPE_LENGTH) return undefined;
  const [head = '', ...params] = value.split(';');
  const essence = head.trim().toLowerCase();
  if (!ESSENCE.test(essence)) return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return { essence: canonicalEssence(essence), charset };
}

/** True for a charset parameter that names UTF-8 or its ASCII subset. */
export function isUtf8Charset(charset: string): boolean {
  return charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}
