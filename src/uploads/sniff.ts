/**
 * The content check of an upload: is it what the client declared, and is that type allowed? It works
 * on a head (the first bytes), so streamed and direct uploads use it alike: read
 * {@link sniffHeadBytes} bytes (= max(detector `sampleBytes`, 4,096); 4,100 with file-type), or the
 * whole file when it is shorter, and say so with `totalBytes`. SVG is the exception: its safety scan
 * needs the whole document, at most {@link DEFAULT_MAX_SVG_BYTES}.
 *
 * The rules, in order (first failure wins):
 * 1. 0 bytes → `ERR_UPLOAD_EMPTY`.
 * 2. The declared type must parse, be allowed (after the equivalences of sniff-mime.ts) and not be a
 *    markup type (HTML, XML, JavaScript: never accepted) → else `ERR_UPLOAD_TYPE`.
 * 3. Binary types: the detector must recognise the head (else `ERR_UPLOAD_TYPE`, "cannot tell") as the
 *    declared type (else `ERR_UPLOAD_TYPE_MISMATCH`, with both types in `details`).
 * 4. Text types (`text/plain`, `text/csv`, `application/json`, `image/svg+xml`): the detector, when
 *    given, must find nothing (a head it recognises is a polyglot: `GIF89a...<script>` sent as text →
 *    `ERR_UPLOAD_TYPE_MISMATCH`), except `application/xml` for SVG; then the text rules of
 *    sniff-text.ts and svg.ts (`ERR_UPLOAD_TYPE_MISMATCH` when the bytes are not that text type,
 *    `ERR_UPLOAD_UNSAFE_CONTENT` for HTML in plain text or CSV, and for active SVG).
 * 5. SVG: `svg: 'reject'` (default) → `ERR_UPLOAD_TYPE`; `'attachment'` → accepted with
 *    `disposition: 'attachment'`, unless unsafe.
 *
 * Not caught from a head: data appended after a valid file (a PNG with a ZIP at its end is a PNG to
 * file-type, and to us). Store under the sniffed type with `X-Content-Type-Options: nosniff`, and
 * re-encode images (thumbnails) rather than serving user bytes from the app's origin.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidArgumentError, TimeoutError } from '../core/errors.js';
import { UploadRejectedError } from './errors.js';
import { extensionForType } from './keys.js';
import type { SvgHandling } from './policy-types.js';
import { EXCEL_CSV_ALIAS, isUtf8Charset, MARKUP_TYPES, parseMimeType, TEXT_TYPES } from './sniff-mime.js';
import { checkTextContent } from './sniff-text-rules.js';
import type { DetectedType, TypeDetector } from './types.js';

/** Smallest head the sniffer asks for, whatever the detector: enough for every text rule's sample. */
export const MIN_SNIFF_BYTES = 4096;

/** Largest SVG the sniffer scans (the whole document is needed); bigger is `ERR_UPLOAD_TOO_LARGE`. */
export const DEFAULT_MAX_SVG_BYTES = 1024 * 1024;

/** Default bound on one detector call, ms. */
export const DEFAULT_DETECT_TIMEOUT_MS = 2000;

/** Input of {@link sniffType}. */
export interface SniffInput {
  /** The first bytes of the file (at least {@link sniffHeadBytes}, or all of it; SVG: all of it). */
  readonly head: Uint8Array;
  /** Size of the whole file when known; `head.length === totalBytes` means the head is the file. */
  readonly totalBytes?: number;
  /** The client's Content-Type, parameters and all. */
  readonly declaredType: string;
  /** Allowed MIME types (aliases folded: `image/jpg` allows `image/jpeg`). */
  readonly allowed: Iterable<string>;
  /** Magic-byte detector; required when the declared type is binary. */
  readonly detector?: TypeDetector;
  /** Default `reject`. */
  readonly svg?: SvgHandling;
  /** HTML markers in `text/plain` or `text/csv`: refused (default) or allowed. */
  readonly htmlInText?: 'reject' | 'allow';
  /** Default {@link DEFAULT_MAX_SVG_BYTES}. */
  readonly maxSvgBytes?: number;
  /** Bound on the detector call, ms. Default {@link DEFAULT_DETECT_TIMEOUT_MS}. */
  readonly detectTimeoutMs?: number;
  /** For the detector's time bound. Default the system clock. */
  readonly clock?: Clock;
}

/** What the content is. */
export interface SniffResult {
  /** The canonical sniffed type, to store and serve (never the declared string). */
  readonly contentType: string;
  /** Key extension for it (`png`, `svg`, `txt`), `''` when none is known. */
  readonly ext: string;
  /** `attachment` when the file must never be served inline (SVG). */
  readonly disposition?: 'attachment';
}

/** How many leading bytes to read for {@link sniffType}: max(`detector.sampleBytes`, 4,096). */
export function sniffHeadBytes(detector?: TypeDetector): number {
  return Math.max(detector === undefined ? 0 : sampleBytesOf(detector), MIN_SNIFF_BYTES);
}

/** The detector's `sampleBytes`, checked: a positive integer (else the call is malformed). */
function sampleBytesOf(detector: TypeDetector): number {
  const n = detector.sampleBytes;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('`detector.sampleBytes` must be a positive integer');
  }
  return n;
}

const shown = (declared: string) => declared.slice(0, 100);

/** Runs the detector within `timeoutMs`; any failure, throw or stall is `ERR_UPLOAD_TYPE` with a cause. */
async function detectBounded(
  detector: TypeDetector,
  head: Uint8Array,
  timeoutMs: number,
  clock: Clock,
  declaredType: string,
): Promise<DetectedType | undefined> {
  const sample = head.subarray(0, sampleBytesOf(detector));
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError('`detectTimeoutMs` must be a positive number');
  }
  const stop = new AbortController();
  const timeout = new Promise<never>((_, reject) => {
    clock.sleep(timeoutMs, stop.signal).then(
      () => reject(new TimeoutError(`the type detector did not answer within ${timeoutMs} ms`)),
      () => {},
    );
  });
  try {
    const found = await Promise.race([Promise.resolve().then(() => detector.detect(sample)), timeout]);
    if (found === undefined) return undefined;
    if (typeof found?.mime !== 'string') throw new TypeError('the detector returned no `mime`');
    return found;
  } catch (cause) {
    throw new UploadRejectedError(
      'ERR_UPLOAD_TYPE',
      'the file type could not be determined',
      { declaredType },
      { cause },
    );
  } finally {
    stop.abort();
  }
}

const typeMismatch = (essence: string, detectedType: string, declaredType: string) =>
  new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', `the content is ${detectedType}, not ${essence}`, {
    declaredType,
    detectedType,
  });

/**
 * The declared type's canonical essence, checked against `allowed`, the markup types, the charset of
 * text types (UTF-8 only) and the SVG handling.
 */
function admitDeclared(input: SniffInput, declaredType: string): string {
  const allowed = allowedSet(input.allowed);
  const parsed = parseMimeType(input.declaredType);
  if (parsed === undefined) {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE', 'the declared type is malformed', { declaredType });
  }
  let essence = parsed.essence;
  if (essence === EXCEL_CSV_ALIAS && allowed.has('text/csv') && !allowed.has(EXCEL_CSV_ALIAS)) {
    essence = 'text/csv';
  }
  if (!allowed.has(essence) || MARKUP_TYPES.has(essence)) {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE', `the type ${essence} is not allowed`, { declaredType });
  }
  if (TEXT_TYPES.has(essence) && parsed.charset !== undefined && !isUtf8Charset(parsed.charset)) {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', 'only UTF-8 text is accepted', {
      declaredType,
    });
  }
  if (essence === 'image/svg+xml' && (input.svg ?? 'reject') === 'reject') {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE', 'SVG uploads are not accepted', { declaredType });
  }
  return essence;
}

function allowedSet(allowed: Iterable<string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const type of allowed) {
    const parsed = parseMimeType(type);
    if (parsed === undefined) throw new InvalidArgumentError('`allowed` holds a malformed MIME type');
    out.add(parsed.essence);
  }
  return out;
}

function checkInput(input: SniffInput): { complete: boolean } {
  if (!(input.head instanceof Uint8Array)) throw new InvalidArgumentError('`head` must be a Uint8Array');
  const total = input.totalBytes;
  if (total !== undefined && (!Number.isSafeInteger(total) || total < input.head.length)) {
    throw new InvalidArgumentError('`totalBytes` must be an integer >= `head.length`');
  }
  if ((total ?? input.head.length) === 0) {
    throw new UploadRejectedError('ERR_UPLOAD_EMPTY', 'the file is empty', { sizeBytes: 0 });
  }
  if (input.head.length === 0) throw new InvalidArgumentError('`head` must hold the first bytes of the file');
  return { complete: total === input.head.length };
}

/**
 * Decides what the uploaded content is, from its head. Resolves the sniffed type, or throws an
 * `UploadRejectedError` (`ERR_UPLOAD_EMPTY`, `ERR_UPLOAD_TYPE`, `ERR_UPLOAD_TYPE_MISMATCH`,
 * `ERR_UPLOAD_UNSAFE_CONTENT`, `ERR_UPLOAD_TOO_LARGE` for an SVG over `maxSvgBytes`); see the rules in
 * this file's comment. `InvalidArgumentError` for a malformed call (no detector for a binary type, a
 * partial head of an SVG).
 *
 * @example
 * ```ts nocheck
 * const head = await storage.readRange(key, 0, sniffHeadBytes(detector) - 1);
 * const { contentType, ext } = await sniffType({
 *   head, totalBytes: info.sizeBytes, declaredType: 'image/png', allowed: ['image/png'], detector,
 * });
 * ```
 */
export async function sniffType(input: SniffInput): Promise<SniffResult> {
  const { complete } = checkInput(input);
  const declaredShown = shown(String(input.declaredType));
  const essence = admitDeclared(input, declaredShown);
  const isText = TEXT_TYPES.has(essence);
  if (!isText && input.detector === undefined) {
    throw new InvalidArgumentError(`a \`detector\` is required to verify the binary type ${essence}`);
  }
  const detected =
    input.detector === undefined
      ? undefined
      : await detectBounded(
          input.detector,
          input.head,
          input.detectTimeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS,
          input.clock ?? systemClock,
          declaredShown,
        );
  const detectedType =
    detected === undefined ? undefined : (parseMimeType(detected.mime)?.essence ?? detected.mime);
  if (!isText) {
    if (detectedType === undefined) {
      throw new UploadRejectedError('ERR_UPLOAD_TYPE', `the content could not be identified as ${essence}`, {
        declaredType: declaredShown,
      });
    }
    if (detectedType !== essence) throw typeMismatch(essence, detectedType, declaredShown);
    return { contentType: essence, ext: extensionForType(essence, detected?.ext) };
  }
  // A text type the detector recognises is a polyglot; XML is what file-type calls an SVG with a prolog.
  if (detectedType !== undefined && !(essence === 'image/svg+xml' && detectedType === 'application/xml')) {
    throw typeMismatch(essence, detectedType, declaredShown);
  }
  checkTextContent(essence, input.head, complete, {
    declaredType: declaredShown,
    totalBytes: input.totalBytes,
    htmlInText: input.htmlInText ?? 'reject',
    maxSvgBytes: input.maxSvgBytes ?? DEFAULT_MAX_SVG_BYTES,
  });
  const ext = extensionForType(essence);
  return essence === 'image/svg+xml'
    ? { contentType: essence, ext, disposition: 'attachment' }
    : { contentType: essence, ext };
}
