/**
 * backend-patterns/accounts/argon2 — the {@link PasswordHasher} on argon2id (the `argon2` package, an
 * optional peer; this is the only file that imports it). OWASP's minimum is the floor, hashes are PHC
 * strings, an optional pepper (HMAC-SHA256 before argon2) rotates by id, and calls go through a
 * concurrency bound (`createBoundedHasher`) unless `concurrency: false`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { argon2d, hash as argon2Hash, argon2i, argon2id } from 'argon2';
import { InvalidArgumentError } from '../core/errors.js';
import {
  type Argon2HasherOptions,
  type Argon2Settings,
  argon2Settings,
  type Pepper,
} from './argon2-options.js';
import { createBoundedHasher } from './bounded-hasher.js';
import { ARGON2_VERSION, type Argon2Phc, formatArgon2id, parseArgon2Phc } from './phc.js';
import type { PasswordHasher } from './types.js';

export type { Argon2HasherOptions, Argon2Pepper } from './argon2-options.js';

const VARIANTS = { argon2id, argon2i, argon2d } as const;

/** A lone surrogate: UTF-8 has no encoding for it (it would become U+FFFD, and two passwords one hash). */
const LONE_SURROGATE = /\p{Cs}/u;

function passwordText(password: unknown): string {
  if (typeof password !== 'string') throw new InvalidArgumentError('`password` must be a string');
  return password;
}

/** What argon2 hashes: the password's UTF-8 bytes, or their HMAC-SHA256 under the pepper. */
const argon2Input = (password: string, pepper: Pepper | undefined): Buffer =>
  pepper === undefined
    ? Buffer.from(password, 'utf8')
    : createHmac('sha256', pepper.key).update(password, 'utf8').digest();

function isCurrent(phc: Argon2Phc, s: Argon2Settings): boolean {
  return (
    phc.variant === 'argon2id' &&
    phc.version === ARGON2_VERSION &&
    phc.memoryKiB === s.memoryKiB &&
    phc.timeCost === s.timeCost &&
    phc.parallelism === s.parallelism &&
    phc.salt.length === s.saltBytes &&
    phc.hash.length === s.hashBytes &&
    phc.data === undefined &&
    phc.keyid === s.peppers.current?.keyid
  );
}

/** The hasher itself, without the concurrency bound. */
function argon2Hasher(s: Argon2Settings): PasswordHasher {
  const current = s.peppers.current;
  return {
    kind: 'argon2',
    async hash(password) {
      const text = passwordText(password);
      if (LONE_SURROGATE.test(text)) {
        throw new InvalidArgumentError('`password` is not well-formed UTF-16 (a lone surrogate)');
      }
      const salt = randomBytes(s.saltBytes);
      const hash = await argon2Hash(argon2Input(text, current), {
        raw: true,
        type: argon2id,
        version: ARGON2_VERSION,
        memoryCost: s.memoryKiB,
        timeCost: s.timeCost,
        parallelism: s.parallelism,
        hashLength: s.hashBytes,
        salt,
      });
      return formatArgon2id({ ...s, keyid: current?.keyid, salt, hash });
    },
    async verify(hash, password) {
      const text = passwordText(password);
      const phc = parseArgon2Phc(hash);
      if (phc === undefined) return false;
      // A configuration error (a pepper removed too early) is thrown, not mistaken for a wrong password.
      const pepper = phc.keyid === undefined ? undefined : s.peppers.byKeyid(phc.keyid);
      // No hash is ever made of such a string, so none can match it.
      if (LONE_SURROGATE.test(text)) return false;
      const computed = await argon2Hash(argon2Input(text, pepper), {
        raw: true,
        type: VARIANTS[phc.variant],
        version: phc.version,
        memoryCost: phc.memoryKiB,
        timeCost: phc.timeCost,
        parallelism: phc.parallelism,
        hashLength: phc.hash.length,
        salt: phc.salt,
        associatedData: phc.data,
      });
      return timingSafeEqual(computed, phc.hash);
    },
    needsRehash(hash) {
      const phc = parseArgon2Phc(hash);
      return phc === undefined || !isCurrent(phc, s);
    },
  };
}

/**
 * Creates the argon2id {@link PasswordHasher}: PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…$…`),
 * OWASP's minimum as the floor, an optional pepper with rotation by id, and at most 4 calls at once
 * (64 waiting, 2 s of estimated wait) through `createBoundedHasher` unless `concurrency: false`.
 * `needsRehash` is true for a hash made with other parameters, another variant or version, or another
 * pepper (or none where one is configured now, or one where none is); rehash it on the next login.
 * `verify` answers `false` for a string that is not an argon2 PHC string (or costs more than the limits:
 * 2 GiB, t=100, p=255) and throws `PepperUnknownError` for a hash whose pepper is not configured.
 *
 * @example
 * ```ts
 * // 32 random bytes in base64, kept outside the database (a secret manager, the environment).
 * const secret = Buffer.from(process.env.PEPPER_P1 ?? '', 'base64');
 * const hasher = createArgon2Hasher({ peppers: [{ id: 'p1', secret }] });
 * const stored = await hasher.hash(password);
 * if ((await hasher.verify(stored, password)) && hasher.needsRehash(stored)) {
 *   const fresh = await hasher.hash(password); // save it in place of `stored`
 * }
 * ```
 */
export function createArgon2Hasher(options: Argon2HasherOptions = {}): PasswordHasher {
  const settings = argon2Settings(options);
  const hasher = argon2Hasher(settings);
  if (settings.concurrency === false) return hasher;
  return createBoundedHasher(hasher, {
    ...settings.concurrency,
    clock: settings.clock,
    metrics: settings.metrics,
  });
}
