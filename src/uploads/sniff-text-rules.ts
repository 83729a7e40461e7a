/**
 * The text half of the sniffer: applies the checks of sniff-text.ts and svg.ts to a head declared as
 * one of the text types and throws the matching `UploadRejectedError`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { UploadRejectedError } from './errors.js';
import { csvProblem, decodeText, findHtmlMarker, jsonProblem } from './sniff-text.js';
import { isSvgDocument, svgUnsafeReason } from './svg.js';

/** What the text rules need besides the bytes. */
export interface TextRuleOptions {
  /** The declared type as shown in error details. */
  readonly declaredType: string;
  /** Size of the whole file, when known. */
  readonly totalBytes: number | undefined;
  /** Whether HTML markers in plain text or CSV are refused. */
  readonly htmlInText: 'reject' | 'allow';
  /** Largest SVG scanned, bytes. */
  readonly maxSvgBytes: number;
}

const mismatch = (essence: string, why: string, declaredType: string) =>
  new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', `the content is not ${essence}: ${why}`, {
    declaredType,
  });

const unsafe = (why: string, declaredType: string) =>
  new UploadRejectedError('ERR_UPLOAD_UNSAFE_CONTENT', `the content is unsafe: ${why}`, { declaredType });

/** SVG: the whole document, at most `maxSvgBytes`, rooted at `<svg>`, with nothing active in it. */
function checkSvg(head: Uint8Array, complete: boolean, options: TextRuleOptions): void {
  const size = options.totalBytes ?? head.length;
  if (size > options.maxSvgBytes) {
    throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'the SVG is too large to be checked', {
      limitBytes: options.maxSvgBytes,
      sizeBytes: size,
    });
  }
  if (!complete) {
    throw new InvalidArgumentError('an SVG is checked whole: pass all of it as `head`, with `totalBytes`');
  }
  const decoded = decodeText(head, true);
  if (!decoded.ok) throw mismatch('image/svg+xml', decoded.why, options.declaredType);
  if (!isSvgDocument(decoded.text)) {
    throw mismatch('image/svg+xml', 'its root element is not <svg>', options.declaredType);
  }
  const reason = svgUnsafeReason(decoded.text);
  if (reason !== undefined) throw unsafe(`the SVG holds ${reason}`, options.declaredType);
}

/**
 * Throws unless `head` is plausible content of the text type `essence` (`text/plain`, `text/csv`,
 * `application/json`, `image/svg+xml`): `ERR_UPLOAD_TYPE_MISMATCH` when it is not that type,
 * `ERR_UPLOAD_UNSAFE_CONTENT` for HTML markers in plain text or CSV and for active SVG.
 */
export function checkTextContent(
  essence: string,
  head: Uint8Array,
  complete: boolean,
  options: TextRuleOptions,
): void {
  if (essence === 'image/svg+xml') {
    checkSvg(head, complete, options);
    return;
  }
  const decoded = decodeText(head, complete);
  if (!decoded.ok) throw mismatch(essence, decoded.why, options.declaredType);
  if (essence === 'application/json') {
    const problem = jsonProblem(decoded.text, complete);
    if (problem !== undefined) throw mismatch(essence, problem, options.declaredType);
    return;
  }
  if (options.htmlInText === 'reject') {
    const marker = findHtmlMarker(decoded.text);
    if (marker !== undefined) throw unsafe(`it holds HTML markup (${marker})`, options.declaredType);
  }
  if (essence === 'text/csv') {
    const problem = csvProblem(decoded.text, complete);
    if (problem !== undefined) throw mismatch(essence, problem, options.declaredType);
  }
}
