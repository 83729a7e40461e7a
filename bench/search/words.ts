/**
 * The corpus vocabulary and the full-text queries, both from a fixed seed so every run (and both engines)
 * sees the same text. Words are made of consonant-vowel syllables; the data builder keeps only those that
 * PostgreSQL's `english` configuration leaves as they are (no stemming, no stop words), so minisearch,
 * which does not stem, tokenises the corpus into exactly the lexemes PostgreSQL indexes and both engines
 * match the same rows for a query.
 */

/** mulberry32: a small deterministic generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONSONANTS = 'bdfgklmnprtvz';
const VOWELS = 'aiou';

/** `count` distinct candidate words of 2-4 syllables, in a fixed order (the corpus's frequency rank). */
export function candidateWords(count: number, seed = 16): string[] {
  const random = seededRandom(seed);
  const pick = (letters: string) => letters[Math.floor(random() * letters.length)] ?? letters[0];
  const words = new Set<string>();
  while (words.size < count) {
    const syllables = 2 + Math.floor(random() * 3);
    let word = '';
    for (let s = 0; s < syllables; s++) word += `${pick(CONSONANTS)}${pick(VOWELS)}`;
    words.add(word);
  }
  return [...words];
}

/**
 * `count` queries of 1-3 words. Words are drawn with a milder skew than the corpus (rank ∝ u²), so the
 * queries mix frequent words (many matches to rank) with rarer ones (few matches).
 */
export function textQueries(words: readonly string[], count: number, seed = 7): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const size = 1 + Math.floor(random() * 3);
    const picked = new Set<string>();
    while (picked.size < size) picked.add(words[Math.floor(words.length * random() ** 2)] ?? '');
    return [...picked].join(' ');
  });
}
