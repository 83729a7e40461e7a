/**
 * Checks for the text types file-type cannot detect: `text/plain`, `text/csv`, `application/json`
 * (SVG is in svg.ts). Each works on a head: the first bytes of the file, `complete` when the head is
 * the whole file. What a head can prove, and what it cannot:
 *
 * - Proves: the sampled bytes are UTF-8 (a sequence cut by the end of a partial head is allowed), hold
 *   no NUL and no control character other than tab, LF, CR and form feed; CSV records in the sample
 *   parse and agree on a field count; JSON starts as an object or array (and parses, when complete).
 * - Cannot prove: anything about the bytes after the head. A text file may turn binary at byte 5,000,
 *   a CSV may change shape, a JSON document may never close. The stored Content-Type is still the
 *   sniffed text type, so a later binary tail is served as text (with `nosniff`), not executed.
 */

/** A text check's outcome: the decoded text, or why the bytes are not acceptable text. */
export type TextCheck =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly why: string };

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
// Control characters other than \t \n \f \r, and C1 controls (they only appear in binary data
// mis-decoded, or in terminal-escape tricks aimed at whoever `cat`s the file).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const BINARY_CONTROLS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/;

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) =>
  prefix.every((byte, i) => bytes[i] === byte);

/**
 * Decodes `head` as UTF-8 text: an optional UTF-8 BOM is skipped; a UTF-16 or UTF-32 BOM, invalid
 * UTF-8 and binary control characters fail. With `complete` false a multi-byte sequence cut by the
 * end of the head is not an error (the rest is beyond the sample).
 */
export function decodeText(head: Uint8Array, complete: boolean): TextCheck {
  if (
    startsWith(head, [0xff, 0xfe]) ||
    startsWith(head, [0xfe, 0xff]) ||
    startsWith(head, [0, 0, 0xfe, 0xff])
  ) {
    return { ok: false, why: 'UTF-16 and UTF-32 text is not accepted; send UTF-8' };
  }
  const body = startsWith(head, UTF8_BOM) ? head.subarray(UTF8_BOM.length) : head;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body, { stream: !complete });
  } catch {
    return { ok: false, why: 'the content is not valid UTF-8' };
  }
  if (BINARY_CONTROLS.test(text)) return { ok: false, why: 'the content holds binary control bytes' };
  return { ok: true, text };
}

/** Markup a browser could render as HTML, looked for anywhere in a text head (case-insensitive). */
const HTML_MARKERS = /<(!doctype\s+html|html|script|body|head|iframe|svg|object|embed)[\s/>]/i;

/**
 * The first HTML marker in `text` (`<!doctype html`, `<html`, `<script`, `<body`, `<head`, `<iframe`,
 * `<svg`, `<object`, `<embed`), or undefined. Old browsers sniffed such text into HTML despite a
 * `text/plain` type, so a text upload holding them is refused by default. Inline tags (`<p>`, `<a>`,
 * `<img>`, `<table>`) are not looked for: CSV exports carry them in cells all the time, and a file
 * served under its sniffed text type with `X-Content-Type-Options: nosniff` is never rendered.
 */
export function findHtmlMarker(text: string): string | undefined {
  return HTML_MARKERS.exec(text)?.[0].slice(0, -1).toLowerCase();
}

/** Delimiters tried for CSV, in order of preference. */
const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
/** Share of sampled records that must agree on the field count. */
const CSV_AGREEMENT = 0.9;

interface CsvShape {
  /** Field count of each complete record (blank lines skipped). */
  readonly counts: readonly number[];
  /** A quoted field still open at the end of a complete file. */
  readonly unterminated: boolean;
}

/** Parser state of {@link csvShape}. */
interface CsvState {
  fields: number;
  inQuotes: boolean;
  atFieldStart: boolean;
  content: boolean;
}

/** Advances `state` over the character at `i` outside quotes; returns how many extra characters it ate. */
function csvStep(state: CsvState, text: string, i: number, delimiter: string, counts: number[]): number {
  const c = text[i];
  if (c === '"' && state.atFieldStart) {
    state.inQuotes = true;
    state.atFieldStart = false;
    state.content = true;
  } else if (c === delimiter) {
    state.fields += 1;
    state.atFieldStart = true;
    state.content = true;
  } else if (c === '\n' || c === '\r') {
    if (state.content) counts.push(state.fields);
    state.fields = 1;
    state.atFieldStart = true;
    state.content = false;
    return c === '\r' && text[i + 1] === '\n' ? 1 : 0;
  } else {
    state.atFieldStart = false;
    state.content = true;
  }
  return 0;
}

/** RFC 4180 records of `text` split on `delimiter`; a quote opens a field only at its start. */
function csvShape(text: string, delimiter: string, complete: boolean): CsvShape {
  const counts: number[] = [];
  const state: CsvState = { fields: 1, inQuotes: false, atFieldStart: true, content: false };
  for (let i = 0; i < text.length; i += 1) {
    if (!state.inQuotes) {
      i += csvStep(state, text, i, delimiter, counts);
    } else if (text[i] === '"') {
      // `""` inside quotes is an escaped quote; a lone `"` closes the field.
      if (text[i + 1] === '"') i += 1;
      else state.inQuotes = false;
    }
  }
  // A last record without a line end counts only when the file ends there; in a partial head it is cut.
  if (complete && state.content && !state.inQuotes) counts.push(state.fields);
  return { counts, unterminated: complete && state.inQuotes };
}

/** Share of `counts` equal to their most common value, and that value. */
function agreement(counts: readonly number[]): { mode: number; share: number } {
  const tally = new Map<number, number>();
  for (const n of counts) tally.set(n, (tally.get(n) ?? 0) + 1);
  let mode = 1;
  let best = 0;
  for (const [n, times] of tally) {
    if (times > best) [mode, best] = [n, times];
  }
  return { mode, share: counts.length === 0 ? 1 : best / counts.length };
}

/**
 * Why `text` is not plausible CSV, or undefined when it is. Checked on the sampled complete records:
 * quotes close by the end of a complete file; one delimiter of `,` `;` tab `|` gives the same field
 * count (>= 2) on at least 90% of them, or else (a single-column file) every delimiter is missing from
 * at least 90% of them. Not checked: column types, formula cells (`=`, `+`, `-`, `@`: guard against
 * CSV injection where the data is exported), and a single record longer than the head.
 */
export function csvProblem(text: string, complete: boolean): string | undefined {
  let singleColumn = true;
  for (const delimiter of CSV_DELIMITERS) {
    const shape = csvShape(text, delimiter, complete);
    if (shape.unterminated) return 'a quoted CSV field is never closed';
    const { mode, share } = agreement(shape.counts);
    if (mode >= 2 && share >= CSV_AGREEMENT) return undefined;
    const withoutDelimiter = shape.counts.filter((n) => n === 1).length;
    if (shape.counts.length > 0 && withoutDelimiter / shape.counts.length < CSV_AGREEMENT) {
      singleColumn = false;
    }
  }
  return singleColumn ? undefined : 'the CSV records do not agree on a field count for any delimiter';
}

/**
 * Why `text` is not plausible JSON, or undefined. The first non-whitespace character must open an
 * object or an array (a bare scalar is refused: it says nothing about the content). When `complete`,
 * the whole text must parse; a partial head cannot be parsed and is not.
 */
export function jsonProblem(text: string, complete: boolean): string | undefined {
  const first = /[^ \t\n\r]/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return 'JSON uploads must be an object or an array';
  if (!complete) return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    // Includes a RangeError from absurd nesting: refused the same way.
    return 'the content is not valid JSON';
  }
}
