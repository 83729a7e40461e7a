/**
 * Mixed-script detection for email parts, after the "highly restrictive" level of Unicode TS #39: a part
 * is one script, or Latin with one of the East Asian combinations (Han + Hiragana + Katakana, Han +
 * Bopomofo, Han + Hangul). Common and Inherited characters (ASCII digits, punctuation, combining marks)
 * belong to no script. Whole-script confusables (an all-Cyrillic `аррӏе`) are one script and pass: telling
 * them apart needs the confusables table, which is out of scope.
 */

/** Scripts recognised by name; a letter of any other script counts as the one script `Other`. */
const SCRIPT_NAMES = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Mongolian',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Tifinagh',
  'Coptic',
  'Yi',
  'Hangul',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
] as const;

const SCRIPTS = SCRIPT_NAMES.map((name) => ({ name, pattern: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const PRINTABLE_ASCII = /^[ -~]*$/;
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

/** The combinations of more than one script that TS #39 "highly restrictive" allows. */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptOf(codePoint: string): string | undefined {
  if (NEUTRAL.test(codePoint)) return undefined;
  return SCRIPTS.find((s) => s.pattern.test(codePoint))?.name ?? 'Other';
}

/** Whether `value` mixes scripts in a way TS #39 "highly restrictive" refuses (Latin + Cyrillic, ...). */
export function isMixedScript(value: string): boolean {
  if (PRINTABLE_ASCII.test(value)) return false; // letters of ASCII are all Latin
  const scripts = new Set<string>();
  for (const codePoint of value) {
    const script = scriptOf(codePoint);
    if (script !== undefined) scripts.add(script);
  }
  if (scripts.size < 2) return false;
  return !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}
