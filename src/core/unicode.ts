/**
 * Lone UTF-16 surrogates: a string holding one is not valid Unicode, and every encoder on the way to a
 * backend (UTF-8 for S3 keys and HTTP headers, Redis' protocol) turns it into U+FFFD, so two different
 * strings would reach the store as one. One definition for every module that checks for them.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** True when `text` holds a surrogate without its pair. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** `text` with every lone surrogate replaced by U+FFFD (what a UTF-8 encoder would send). */
export function replaceLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATES, '\uFFFD');
}
