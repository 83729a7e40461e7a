/**
 * The one normalisation of account identifiers (emails, user names). The login guard keys lockouts with
 * it, and the accounts module will look accounts up with it: when the two agree, no spelling of an
 * account (case, surrounding spaces, fullwidth letters, decomposed accents) gets an allowance of its own,
 * and a spelling that normalises to another account is simply that account.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';

/** Longest input accepted (an email is at most 320 characters); checked before normalising. */
const MAX_ACCOUNT_CHARS = 320;

/**
 * Normalises an account identifier: Unicode NFKC (fullwidth `ａ` → `a`, `ﬁ` → `fi`, `e` + U+0301 →
 * `é`), then lower case (`toLowerCase`, locale-independent; simple case folding without `ß` → `ss`),
 * then NFKC again (lower-casing can leave a string unnormalised, e.g. `İ`), then trim of Unicode
 * white space. The result is idempotent. Throws `InvalidArgumentError` (`ERR_INVALID_ARGUMENT`) for a
 * non-string, an input over 320 characters, or one that is empty after normalisation. Store and compare
 * account ids in this form.
 *
 * @example
 * ```ts
 * normalizeAccountId(' Alice@Example.COM '); // 'alice@example.com'
 * normalizeAccountId('ＡＬＩＣＥ@x'); // 'alice@x'
 * ```
 */
export function normalizeAccountId(account: string): string {
  const raw = argument.key('account', account, MAX_ACCOUNT_CHARS);
  const normalized = raw.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
  if (normalized.length === 0) throw new InvalidArgumentError('`account` is empty after normalisation');
  return normalized;
}
