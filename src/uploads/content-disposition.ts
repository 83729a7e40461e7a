/**
 * The `Content-Disposition` header of a served file (RFC 6266), with the name twice: a quoted ASCII
 * fallback for old clients and `filename*` in RFC 5987 encoding (`UTF-8''` + percent-escapes) for
 * everyone else. Both halves are built from an allow-list of characters, so no input (quotes,
 * backslashes, CR/LF, `;`, `%`) can end the quoted string or add a header.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { replaceLoneSurrogates } from '../core/unicode.js';
import { argument } from '../core/validate.js';
import { CONTROLS, sanitizeFilename } from './filename.js';

/** How a browser should treat the file: show it (`inline`) or save it (`attachment`). */
export type DispositionType = 'attachment' | 'inline';

/** Name used when nothing printable is left of the given one. */
const FALLBACK_NAME = 'download';

/**
 * The ASCII fallback: printable ASCII except `"`, `\`, `/`, `;` (naive parsers split on it) and `%`
 * (some clients percent-decode `filename=`); everything else becomes `_`. Accents are dropped first
 * (`é` → `e`) so the fallback stays readable. The folding can rebuild what the name's cleaning removed
 * (fullwidth `．．／` folds to `../`, `ＣＯＮ` to `CON`), so the result is cleaned again by the same rules.
 */
function asciiFallback(name: string): string {
  const folded = name.normalize('NFKD').replace(/\p{M}/gu, '');
  const ascii = folded
    .replace(/[^\x20-\x7e]|["\\/%;]/g, '_')
    .replace(/_+/g, '_')
    .trim();
  try {
    return sanitizeFilename(ascii);
  } catch {
    return FALLBACK_NAME;
  }
}

/** RFC 5987 `value-chars`: attr-char stays, every other UTF-8 byte is `%XX`. */
function encodeRfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A `Content-Disposition` value for `filename`, e.g.
 * `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`.
 * Pass a name from `sanitizeFilename`; this function is safe on any string anyway (controls and lone
 * surrogates are replaced, an empty name becomes `download`).
 *
 * @example
 * ```ts
 * import { contentDisposition } from 'backend-patterns/uploads';
 * const header = contentDisposition('résumé.pdf', 'attachment');
 * // attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
 * ```
 */
export function contentDisposition(filename: string, type: DispositionType = 'attachment'): string {
  const kind = argument.oneOf('type', type, ['attachment', 'inline'] as const);
  if (typeof filename !== 'string') throw new InvalidArgumentError('`filename` must be a string');
  const clean = replaceLoneSurrogates(filename).replace(CONTROLS, '');
  const name = clean.trim() === '' ? FALLBACK_NAME : clean;
  return `${kind}; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}
