/**
 * Sets of code points as sorted, disjoint, inclusive ranges: just enough for the regex safety check to
 * ask whether two pattern atoms can match the same character.
 */

/** Inclusive code point ranges, sorted and disjoint. */
export type CharSet = readonly (readonly [number, number])[];

const MAX_CODE_POINT = 0x10ffff;

/** Sorts `ranges` in place and merges them. */
function merge(ranges: (readonly [number, number])[]): CharSet {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Sorts and merges ranges (the input is not changed). */
export function normalize(ranges: readonly (readonly [number, number])[]): CharSet {
  return merge([...ranges]);
}

/** The union of some sets. */
export function union(...sets: readonly CharSet[]): CharSet {
  const nonEmpty = sets.filter((set) => set.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const all: (readonly [number, number])[] = [];
  for (const set of nonEmpty) for (const range of set) all.push(range);
  return merge(all);
}

/** Every code point not in `set`. */
export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** True when the two sets share a code point. */
export function overlaps(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aLo, aHi] = a[i]!;
    const [bLo, bHi] = b[j]!;
    if (aHi < bLo) i++;
    else if (bHi < aLo) j++;
    else return true;
  }
  return false;
}

/** One code point. */
export const single = (c: number): CharSet => [[c, c]];

/** Every code point. */
export const ANY: CharSet = [[0, MAX_CODE_POINT]];
/** `\d`. */
export const DIGIT: CharSet = [[0x30, 0x39]];
/** `\w`. */
export const WORD: CharSet = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** `\s`: ECMAScript white space and line terminators. */
export const SPACE: CharSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
/** `.` without the `s` flag: everything but line terminators. */
export const DOT: CharSet = complement(
  normalize([
    [0x0a, 0x0a],
    [0x0d, 0x0d],
    [0x2028, 0x2029],
  ]),
);

const LETTERS: CharSet = normalize([
  [0x41, 0x5a],
  [0x61, 0x7a],
]);

/**
 * Widens a set for case-insensitive matching, erring on the large side: an ASCII letter brings every
 * ASCII letter and everything beyond ASCII (Unicode folding maps `ſ` to `s` and the Kelvin sign to `k`),
 * and anything beyond ASCII brings the same.
 */
export function foldCase(set: CharSet): CharSet {
  const hasLetter = overlaps(set, LETTERS);
  const beyondAscii = overlaps(set, [[0x80, MAX_CODE_POINT]]);
  return hasLetter || beyondAscii ? union(set, LETTERS, [[0x80, MAX_CODE_POINT]]) : set;
}
