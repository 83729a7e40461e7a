/**
 * The options of the argon2 hasher: OWASP's argon2id settings as the floor, peppers with ids, and the
 * concurrency bound. No peer import here, so the rules can be tested and documented on their own.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, type OptionSpec, opt, optionError } from '../core/options.js';
import { type BoundedHasherLimits, boundedLimitSpecs } from './bounded-hasher.js';
import { PepperUnknownError } from './errors.js';
import { ARGON2_LIMITS, decodeB64, encodeB64 } from './phc.js';

/** A pepper: a secret kept outside the database, mixed into every hash (see {@link Argon2HasherOptions.peppers}). */
export interface Argon2Pepper {
  /**
   * Written into each hash as its PHC `keyid`, so a hash names the pepper it needs. 1..8 characters of
   * [A-Za-z0-9_-] (the PHC spec allows a key id of at most 8 bytes), unique in the list.
   */
  readonly id: string;
  /** At least 32 bytes (a string counts as its UTF-8 bytes, not decoded), at most 1024. */
  readonly secret: Uint8Array | string;
}

/** Options of `createArgon2Hasher`. */
export interface Argon2HasherOptions {
  /**
   * Memory per hash, KiB. Default 19456 (19 MiB, OWASP's minimum with `timeCost: 2`). Never below OWASP's
   * argon2id minimum for the `timeCost`: t=1: 47104, t=2: 19456, t=3: 12288, t=4: 9216, t>=5: 7168.
   * At most 2097152 (2 GiB).
   */
  readonly memoryKiB?: number;
  /** Passes over memory (argon2 `t`). Default 2. 1..100. */
  readonly timeCost?: number;
  /** Lanes (argon2 `p`). Default 1, as in OWASP's table. 1..255. */
  readonly parallelism?: number;
  /** Random salt per hash, bytes. Default 16. 16..48. */
  readonly saltBytes?: number;
  /** Hash output, bytes. Default 32. 16..64. */
  readonly hashBytes?: number;
  /**
   * Lifts OWASP's floor (down to argon2's own minimum, 8 KiB per lane and t=1), for test suites that hash
   * a lot. Never in production. Default false.
   */
  readonly allowBelowOwaspFloor?: boolean;
  /**
   * Peppers, the current one first. The password is replaced by HMAC-SHA256(secret, UTF-8 password)
   * before argon2, and the pepper's id is written into the hash (`keyid`). Verify uses the pepper the hash
   * names (a hash without `keyid` is verified without one); an id not in the list throws
   * `PepperUnknownError`. To rotate: put the new pepper first and keep the old ones after it until
   * `needsRehash` has moved their users over on login. Default none. At most 16.
   */
  readonly peppers?: readonly Argon2Pepper[];
  /**
   * The concurrency bound (`createBoundedHasher`'s limits), on by default with its defaults; `false`
   * for none (every call goes straight to argon2 and libuv queues them without limit).
   */
  readonly concurrency?: BoundedHasherLimits | false;
  /** For the concurrency bound's duration estimates. Default the system clock. */
  readonly clock?: Clock;
  /** For the concurrency bound's metrics (none when `concurrency: false`). Default none. */
  readonly metrics?: Metrics;
}

const OWNER = 'createArgon2Hasher';

/** OWASP's argon2id table (p=1), minimum memory in KiB by time cost; t >= 5 uses the last row. */
const OWASP_FLOOR_KIB = [47_104, 19_456, 12_288, 9_216, 7_168] as const;

/** OWASP's minimum memory for argon2id at `timeCost` passes, KiB. */
export function owaspFloorKiB(timeCost: number): number {
  return OWASP_FLOOR_KIB[Math.min(timeCost, OWASP_FLOOR_KIB.length) - 1] ?? OWASP_FLOOR_KIB[0];
}

const PEPPER_ID = /^[A-Za-z0-9_-]{1,8}$/;

const secretSpec = opt.custom(
  (value, path, owner) => {
    const bytes =
      typeof value === 'string'
        ? Buffer.from(value, 'utf8')
        : value instanceof Uint8Array
          ? Buffer.from(value) // a copy: a caller that reuses its buffer does not change the pepper
          : undefined;
    if (bytes === undefined || bytes.length < 32 || bytes.length > 1024) {
      throw optionError(owner, path, 'a Uint8Array or string of 32..1024 bytes');
    }
    return createSecretKey(bytes);
  },
  { required: true },
);

const pepperSpec = opt.shape(
  {
    id: opt.matching(PEPPER_ID, '1..8 characters of [A-Za-z0-9_-]', { required: true }),
    secret: secretSpec,
  },
  { required: true },
);

const limitsSpec = opt.shape(boundedLimitSpecs, {
  default: { maxConcurrent: 4, maxQueued: 64, maxWaitMs: 2000 },
});

type Limits = ReturnType<(typeof limitsSpec)['parse']>;

const concurrencySpec: OptionSpec<Limits | false> = {
  parse: (value, path, owner) => (value === false ? false : limitsSpec.parse(value, path, owner)),
};

const parseOptions = defineOptions(OWNER, {
  memoryKiB: opt.integer({ default: 19_456, min: 8, max: ARGON2_LIMITS.maxMemoryKiB }),
  timeCost: opt.integer({ default: 2, min: 1, max: ARGON2_LIMITS.maxTimeCost }),
  parallelism: opt.integer({ default: 1, min: 1, max: ARGON2_LIMITS.maxParallelism }),
  saltBytes: opt.integer({ default: 16, min: 16, max: ARGON2_LIMITS.maxSaltBytes }),
  hashBytes: opt.integer({ default: 32, min: 16, max: ARGON2_LIMITS.maxHashBytes }),
  allowBelowOwaspFloor: opt.boolean({ default: false }),
  peppers: opt.list(pepperSpec, { default: [], maxItems: 16 }),
  concurrency: concurrencySpec,
  clock: opt.clock(),
  metrics: opt.metrics(),
});

/** A configured pepper: its id, its `keyid` as written, and the HMAC key. */
export interface Pepper {
  readonly id: string;
  readonly keyid: string;
  readonly key: KeyObject;
}

/** The peppers, by the `keyid` a hash carries. */
export interface PepperRing {
  /** The pepper new hashes use, if any. */
  readonly current: Pepper | undefined;
  /** The pepper a hash names; throws `PepperUnknownError` when none is configured under that id. */
  byKeyid(keyid: string): Pepper;
}

/** The id a `keyid` names, for the error: the decoded id when it is one, else the B64 text as written. */
function idOfKeyid(keyid: string): string {
  const bytes = decodeB64(keyid, 1, ARGON2_LIMITS.maxKeyidBytes);
  const id = bytes?.toString('utf8');
  return id !== undefined && PEPPER_ID.test(id) ? id : keyid;
}

function pepperRing(list: readonly { readonly id: string; readonly secret: KeyObject }[]): PepperRing {
  const byKeyid = new Map<string, Pepper>();
  list.forEach(({ id, secret }, i) => {
    const keyid = encodeB64(Buffer.from(id, 'utf8'));
    if (byKeyid.has(keyid)) throw optionError(OWNER, `peppers[${i}].id`, 'unique in `peppers`');
    byKeyid.set(keyid, { id, keyid, key: secret });
  });
  return {
    current: list.length === 0 ? undefined : byKeyid.values().next().value,
    byKeyid(keyid) {
      const pepper = byKeyid.get(keyid);
      if (pepper === undefined) throw new PepperUnknownError(idOfKeyid(keyid));
      return pepper;
    },
  };
}

/** The parsed options: argon2's parameters, the peppers, and the concurrency bound. */
export interface Argon2Settings {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly saltBytes: number;
  readonly hashBytes: number;
  readonly peppers: PepperRing;
  readonly concurrency: Required<BoundedHasherLimits> | false;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

/** Parses and checks the options (OWASP's floor, argon2's 8 KiB per lane, unique pepper ids). */
export function argon2Settings(options: unknown): Argon2Settings {
  const { allowBelowOwaspFloor, peppers, ...o } = parseOptions(options);
  const floorKiB = allowBelowOwaspFloor ? 8 * o.parallelism : owaspFloorKiB(o.timeCost);
  if (o.memoryKiB < floorKiB) {
    const why = allowBelowOwaspFloor
      ? `${o.parallelism} lanes (argon2 needs 8 KiB per lane)`
      : `timeCost ${o.timeCost} (OWASP's argon2id minimum; allowBelowOwaspFloor is for tests only)`;
    throw optionError(OWNER, 'memoryKiB', `at least ${floorKiB} with ${why}`, o.memoryKiB);
  }
  return { ...o, peppers: pepperRing(peppers) };
}
