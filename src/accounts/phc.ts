/**
 * The argon2 PHC string (https://github.com/P-H-C/phc-string-format, "Argon2 encoding"), read strictly and
 * written canonically: `$argon2id$v=19$m=19456,t=2,p=1[,keyid=<B64>][,data=<B64>]$<salt B64>$<hash B64>`,
 * B64 being standard base64 without padding. A string that does not parse is no hash at all: the hasher
 * answers `false`, never an exception. Costs are bounded here too, so a planted hash with `m=4294967295`
 * is refused before argon2 could allocate 4 TiB.
 */

/** The argon2 variants a PHC string may name. Only `argon2id` is ever written. */
export type Argon2Variant = 'argon2id' | 'argon2i' | 'argon2d';

/** Version numbers: 0x13 (19, the current one, always written) and 0x10 (16, read only). */
export const ARGON2_VERSION = 0x13;

/**
 * What a hash may cost, for parsing and for the hasher's options alike: 2 GiB of memory (RFC 9106's first
 * recommended setting), 100 passes, and the spec's 255 lanes. Lengths are the spec's.
 */
export const ARGON2_LIMITS = {
  maxMemoryKiB: 2_097_152,
  maxTimeCost: 100,
  maxParallelism: 255,
  minSaltBytes: 8,
  maxSaltBytes: 48,
  minHashBytes: 12,
  maxHashBytes: 64,
  maxKeyidBytes: 8,
  maxDataBytes: 32,
} as const;

/** A parsed argon2 PHC string. */
export interface Argon2Phc {
  readonly variant: Argon2Variant;
  /** 0x13 or 0x10 (a string without `v=` is 0x10, as in the reference implementation). */
  readonly version: number;
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
  /** The `keyid` value as written (B64), when present. */
  readonly keyid?: string;
  /** Associated data, when present. */
  readonly data?: Buffer;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Longer than any string the grammar below accepts: refused before the regular expression runs. */
const MAX_LENGTH = 320;

const DECIMAL = '([1-9][0-9]{0,9})';
const B64 = '([A-Za-z0-9+/]+)';
const PHC_PATTERN = new RegExp(
  `^\\$(argon2id|argon2i|argon2d)(?:\\$v=(16|19))?\\$m=${DECIMAL},t=${DECIMAL},p=([1-9][0-9]{0,2})` +
    `(?:,keyid=${B64})?(?:,data=${B64})?\\$${B64}\\$${B64}$`,
);

/** Standard base64 without padding, as bytes; `undefined` unless canonical and `min..max` bytes long. */
export function decodeB64(text: string, min: number, max: number): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < min || bytes.length > max) return undefined;
  // Non-zero trailing bits would decode to the same bytes: only the canonical spelling is accepted.
  return encodeB64(bytes) === text ? bytes : undefined;
}

/** Standard base64 without padding. */
export function encodeB64(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const end = text.indexOf('=');
  return end === -1 ? text : text.slice(0, end);
}

interface Costs {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

const withinLimits = ({ memoryKiB, timeCost, parallelism }: Costs) =>
  memoryKiB <= ARGON2_LIMITS.maxMemoryKiB &&
  timeCost <= ARGON2_LIMITS.maxTimeCost &&
  parallelism <= ARGON2_LIMITS.maxParallelism &&
  // argon2's own minimum: 8 KiB per lane.
  memoryKiB >= 8 * parallelism;

function decodeOptional(text: string | undefined, max: number): Buffer | null | undefined {
  if (text === undefined) return null;
  return decodeB64(text, 1, max);
}

/** Parses an argon2 PHC string; `undefined` for anything else (not a string, malformed, over the limits). */
export function parseArgon2Phc(value: unknown): Argon2Phc | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined;
  const match = PHC_PATTERN.exec(value);
  if (match === null) return undefined;
  const [, variant, v, m, t, p, keyid, dataText, saltText, hashText] = match as unknown as readonly string[];
  const costs = { memoryKiB: Number(m), timeCost: Number(t), parallelism: Number(p) };
  if (!withinLimits(costs)) return undefined;
  const salt = decodeB64(saltText as string, ARGON2_LIMITS.minSaltBytes, ARGON2_LIMITS.maxSaltBytes);
  const hash = decodeB64(hashText as string, ARGON2_LIMITS.minHashBytes, ARGON2_LIMITS.maxHashBytes);
  const keyidBytes = decodeOptional(keyid, ARGON2_LIMITS.maxKeyidBytes);
  const data = decodeOptional(dataText, ARGON2_LIMITS.maxDataBytes);
  if (salt === undefined || hash === undefined || keyidBytes === undefined || data === undefined)
    return undefined;
  return {
    variant: variant as Argon2Variant,
    version: v === '19' ? 0x13 : 0x10,
    ...costs,
    ...(keyid === undefined ? {} : { keyid }),
    ...(data === null ? {} : { data }),
    salt,
    hash,
  };
}

/** What {@link formatArgon2id} writes. */
export interface Argon2idOutput extends Costs {
  /** B64 key id (already encoded), or undefined for none. */
  readonly keyid: string | undefined;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

/** The canonical PHC string of an argon2id (v=19) hash. */
export function formatArgon2id(output: Argon2idOutput): string {
  const keyid = output.keyid === undefined ? '' : `,keyid=${output.keyid}`;
  return (
    `$argon2id$v=19$m=${output.memoryKiB},t=${output.timeCost},p=${output.parallelism}${keyid}` +
    `$${encodeB64(output.salt)}$${encodeB64(output.hash)}`
  );
}
