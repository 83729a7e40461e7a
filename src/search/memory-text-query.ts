/**
 * The web-search syntax of `SourceQuery.text`, parsed the way PostgreSQL's `websearch_to_tsquery`
 * reads it: words are ANDed, `"quoted words"` are a phrase, a leading `-` negates a word or phrase,
 * and `OR` (upper case) between items separates alternatives, binding looser than AND. A chunk that
 * tokenizes into several words (`e-mail`) is a phrase, as PostgreSQL makes it.
 */

/** Splits text into lower-cased words: runs of letters, marks and digits. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(NON_WORD)
    .filter((t) => t.length > 0);
}

const NON_WORD = /[^\p{L}\p{M}\p{N}]+/u;

/**
 * One item of a query: its words in order, `null` where a stop word held a position (so a phrase
 * `cat in the hat` means `cat`, then `hat` three words later, as PostgreSQL's `<3>`).
 */
export interface TextItem {
  readonly negated: boolean;
  readonly words: readonly (string | null)[];
}

/** Alternatives (ORed), each a conjunction of items. */
export type ParsedText = readonly (readonly TextItem[])[];

function readChunk(text: string, start: number): { chunk: string; quoted: boolean; end: number } {
  if (text[start] === '"') {
    const close = text.indexOf('"', start + 1);
    const end = close === -1 ? text.length : close;
    return { chunk: text.slice(start + 1, end), quoted: true, end: end + 1 };
  }
  let end = start;
  while (end < text.length && !/\s/u.test(text[end] as string) && text[end] !== '"') end += 1;
  return { chunk: text.slice(start, end), quoted: false, end };
}

/** Parses `text`; `isStopWord` decides which words only hold a position. Items without words vanish. */
export function parseText(text: string, isStopWord: (word: string) => boolean): ParsedText {
  const groups: TextItem[][] = [[]];
  let pendingNegation = false;
  let i = 0;
  while (i < text.length) {
    if (/\s/u.test(text[i] as string)) {
      i += 1;
      continue;
    }
    // As in PostgreSQL, a `-` negates the next item even across spaces (`- fish` is `!fish`).
    if (text[i] === '-') {
      pendingNegation = true;
      i += 1;
      continue;
    }
    const negated = pendingNegation;
    pendingNegation = false;
    const { chunk, quoted, end } = readChunk(text, i);
    i = end;
    if (!quoted && !negated && chunk === 'OR') {
      if ((groups.at(-1) as TextItem[]).length > 0) groups.push([]);
      continue;
    }
    const words = tokenize(chunk).map((w) => (isStopWord(w) ? null : w));
    if (words.some((w) => w !== null))
      (groups.at(-1) as TextItem[]).push({ negated, words: trimNulls(words) });
  }
  return groups.filter((g) => g.length > 0);
}

function trimNulls(words: (string | null)[]): (string | null)[] {
  let start = 0;
  let end = words.length;
  while (words[start] === null) start += 1;
  while (words[end - 1] === null) end -= 1;
  return words.slice(start, end);
}

/** True when `tokens` (a field's words, stop words included) hold `words` at their relative positions. */
export function containsPhrase(tokens: readonly string[], words: readonly (string | null)[]): boolean {
  const last = tokens.length - words.length;
  outer: for (let at = 0; at <= last; at++) {
    for (let j = 0; j < words.length; j++) {
      const w = words[j];
      if (w !== null && tokens[at + j] !== w) continue outer;
    }
    return true;
  }
  return false;
}
