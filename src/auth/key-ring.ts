/**
 * The key ring: one active signing key, an optional next key, retired keys in their grace period, and
 * keys that only verify (another issuer's). Retirement is an instant the caller keeps (`retiredAtMs`,
 * reported by `rotate()`), so a ring rebuilt from config at every start ends a grace period at the same
 * time on every start instead of starting it again.
 */

import type { JWK } from 'jose';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import {
  generateSigningKey,
  type SigningAlgorithm,
  type SigningKey,
  signingAlgorithms,
  type VerificationKey,
} from './keys.js';

/** A key that stopped signing at `retiredAtMs` (epoch ms, from `rotate()`); it verifies for `graceMs` after. */
export interface RetiredKey {
  readonly key: VerificationKey;
  readonly retiredAtMs: number;
}

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Algorithm of keys the ring generates (initial key, `prepare()`, `rotate()`). Default `EdDSA`. */
  readonly algorithm?: SigningAlgorithm;
  /** The signing key. Default: a generated key of `algorithm` (none when `verifyOnly`). */
  readonly active?: SigningKey;
  /** A key published in the JWKS ahead of signing with it (see the rotation runbook). */
  readonly next?: SigningKey;
  /**
   * Older keys that still verify until `retiredAtMs + graceMs`. Keep `retiredAtMs` (from `rotate()`) in
   * your config with the key: a ring is rebuilt at every start, and the grace period must not restart.
   */
  readonly retired?: readonly RetiredKey[];
  /**
   * Keys that only verify, with no grace period (another issuer's public keys, from importJwks or
   * importVerificationKey). Never published by `jwks()`: they are not this ring's to publish.
   */
  readonly verifyKeys?: readonly VerificationKey[];
  /** A ring with no signing key (a service that only verifies): `active()`, `prepare()`, `rotate()` throw. Default false. */
  readonly verifyOnly?: boolean;
  /** How long a retired key keeps verifying. Default 24 h. Must exceed the longest token lifetime. */
  readonly graceMs?: number;
  /** Clock for grace periods; the token service using this ring must run on the same one. Default the system clock. */
  readonly clock?: Clock;
}

/** Result of {@link KeyRing.rotate}. */
export interface KeyRotation {
  /** The key now signing. */
  readonly activeKid: string;
  /** The key that stopped signing and verifies until `retiredUntilMs`. */
  readonly retiredKid: string;
  /** When it stopped signing: keep it with the key, as `retired: [{ key, retiredAtMs }]`, for restarts. */
  readonly retiredAtMs: number;
  readonly retiredUntilMs: number;
}

/**
 * One active signing key, an optional next key, retired keys in their grace period, and verify-only keys.
 */
export interface KeyRing {
  /** How long a retired key keeps verifying. */
  readonly graceMs: number;
  /** The ring's clock; a token service without its own `clock` uses it, one with another is refused. */
  readonly clock?: Clock;
  /** The key that signs; throws `ERR_INVALID_ARGUMENT` on a verify-only ring. */
  active(): SigningKey;
  /** The key for `kid` if it may verify now (active, next, retired within grace, or verify-only). */
  find(kid: string): VerificationKey | undefined;
  /** Publishes a next key (given, or generated) without signing with it yet. */
  prepare(key?: SigningKey): Promise<SigningKey>;
  /** Promotes the next key (or a new one) to active; the old active key verifies for `graceMs`. */
  rotate(): Promise<KeyRotation>;
  /** Drops a non-active key at once (compromise); false when unknown. */
  remove(kid: string): boolean;
  /** The public JWKS to publish: active, next and retired keys in grace (never HS256 secrets, never verify-only keys). */
  jwks(): { keys: JWK[] };
}

function isKey(value: unknown): value is VerificationKey {
  const key = value as Partial<VerificationKey> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.kid === 'string' &&
    signingAlgorithms.includes(key.alg as SigningAlgorithm) &&
    key.verifyKey !== undefined
  );
}

const checkKey = (what: string, signing: boolean) => (value: unknown, path: string, owner: string) => {
  if (!isKey(value) || (signing && (value as Partial<SigningKey>).signKey === undefined)) {
    throw optionError(owner, path, what);
  }
  return value as SigningKey;
};

const retiredSpec = opt.custom(
  (value, path, owner): RetiredKey => {
    const entry = value as Partial<RetiredKey> | null;
    const at = entry?.retiredAtMs;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      !isKey(entry.key) ||
      !Number.isSafeInteger(at) ||
      (at as number) < 0
    ) {
      throw optionError(owner, path, '`{ key, retiredAtMs }` (retiredAtMs: epoch ms, from rotate())');
    }
    return { key: entry.key, retiredAtMs: at as number };
  },
  { required: true },
);

const SIGNING_KEY = 'a signing key from generateSigningKey() or importSigningKey()';

const parseKeyRing = defineOptions('createKeyRing', {
  algorithm: opt.oneOf(signingAlgorithms, { default: 'EdDSA' }),
  active: opt.custom(checkKey(SIGNING_KEY, true)),
  next: opt.custom(checkKey(SIGNING_KEY, true)),
  retired: opt.list(retiredSpec),
  verifyKeys: opt.list(
    opt.custom(checkKey('a key from importVerificationKey(), importJwks() or importSigningKey()', false), {
      required: true,
    }),
  ),
  verifyOnly: opt.boolean({ default: false }),
  graceMs: opt.duration({ default: 24 * 3_600_000, min: 1_000 }),
  clock: opt.clock(),
});

/** Two keys under one `kid` would make which one verifies depend on lookup order: refuse it. */
function checkDistinctKids(
  active: SigningKey | undefined,
  given: { next?: SigningKey; retired?: readonly RetiredKey[]; verifyKeys?: readonly VerificationKey[] },
) {
  const kids = [
    ...(active ? [active.kid] : []),
    ...(given.next ? [given.next.kid] : []),
    ...(given.retired ?? []).map((r) => r.key.kid),
    ...(given.verifyKeys ?? []).map((k) => k.kid),
  ];
  if (new Set(kids).size !== kids.length) {
    throw optionError('createKeyRing', 'verifyKeys', 'keys with distinct `kid`s (one `kid` appears twice)');
  }
}

const noSigningKey = () => new InvalidArgumentError('this key ring is verify-only: it has no signing key');

/**
 * Creates a key ring.
 *
 * @example
 * ```ts
 * const keys = await createKeyRing({ algorithm: 'EdDSA', graceMs: 24 * 3600_000 });
 * app.get('/.well-known/jwks.json', (_req, res) => res.json(keys.jwks()));
 * await keys.prepare();  // publish the next key, wait for JWKS caches, then:
 * const { retiredKid, retiredAtMs } = await keys.rotate(); // keep retiredAtMs with the retired key
 * ```
 */
export async function createKeyRing(options: KeyRingOptions = {}): Promise<KeyRing> {
  const { algorithm, graceMs, clock, verifyOnly, ...given } = parseKeyRing(options);
  if (verifyOnly && (given.active !== undefined || given.next !== undefined)) {
    throw optionError('createKeyRing', 'active', 'absent on a verify-only ring (it signs nothing)');
  }
  if (verifyOnly && (given.verifyKeys?.length ?? 0) + (given.retired?.length ?? 0) === 0) {
    throw optionError('createKeyRing', 'verifyKeys', 'at least one key on a verify-only ring');
  }
  let active: SigningKey | undefined = verifyOnly
    ? undefined
    : (given.active ?? (await generateSigningKey(algorithm)));
  checkDistinctKids(active, given);
  let next = given.next;
  const verifyOnlyKeys = new Map((given.verifyKeys ?? []).map((k) => [k.kid, k]));
  const retired = new Map<string, { key: VerificationKey; untilMs: number }>();
  for (const { key, retiredAtMs } of given.retired ?? [])
    retired.set(key.kid, { key, untilMs: retiredAtMs + graceMs });

  const liveRetired = () => {
    const nowMs = clock.now();
    for (const [kid, entry] of retired) if (entry.untilMs <= nowMs) retired.delete(kid);
    return [...retired.values()].map((e) => e.key);
  };
  const findRetired = (kid: string) => {
    const entry = retired.get(kid);
    if (entry === undefined) return undefined;
    if (entry.untilMs > clock.now()) return entry.key;
    retired.delete(kid);
    return undefined;
  };

  return {
    graceMs,
    clock,
    active() {
      if (active === undefined) throw noSigningKey();
      return active;
    },
    find(kid) {
      if (kid === active?.kid) return active;
      if (next?.kid === kid) return next;
      return findRetired(kid) ?? verifyOnlyKeys.get(kid);
    },
    async prepare(key) {
      if (active === undefined) throw noSigningKey();
      next = key ?? (await generateSigningKey(algorithm));
      return next;
    },
    async rotate() {
      if (active === undefined) throw noSigningKey();
      const promoted = next ?? (await generateSigningKey(algorithm));
      const old = active;
      const retiredAtMs = clock.now();
      const retiredUntilMs = retiredAtMs + graceMs;
      retired.set(old.kid, { key: old, untilMs: retiredUntilMs });
      active = promoted;
      next = undefined;
      return { activeKid: promoted.kid, retiredKid: old.kid, retiredAtMs, retiredUntilMs };
    },
    remove(kid) {
      if (kid === active?.kid) throw new InvalidArgumentError('cannot remove the active key; rotate first');
      if (next?.kid === kid) {
        next = undefined;
        return true;
      }
      return retired.delete(kid) || verifyOnlyKeys.delete(kid);
    },
    jwks() {
      const keys = [...(active ? [active] : []), ...(next ? [next] : []), ...liveRetired()];
      return { keys: keys.flatMap((k) => (k.publicJwk ? [{ ...k.publicJwk }] : [])) };
    },
  };
}
