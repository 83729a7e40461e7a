/**
 * Rollout bucketing: MurmurHash3 x86 32-bit (seed 0) over the UTF-8 bytes of `${salt}:${value}`, modulo
 * 100,000. Written here rather than taken from a dependency so the bucket of an id is fixed by this file
 * alone: the same in every process, build and version of the library.
 */
import { BUCKET_COUNT } from './limits.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Reused for non-ASCII input, so a call allocates nothing beyond the encoding itself. */
let scratch = new Uint8Array(1024);
const encoder = new TextEncoder();
/** Inputs longer than this (in UTF-16 units) are encoded into a one-off buffer instead of growing scratch. */
const MAX_SCRATCH_CHARS = 16_384;

function mixK(k: number): number {
  let k1 = Math.imul(k, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return Math.imul(k1, C2);
}

function mixH(h: number, k: number): number {
  let h1 = h ^ mixK(k);
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function finish(h: number, length: number): number {
  let h1 = h ^ length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

/**
 * MurmurHash3 x86 32-bit of the first `length` bytes of `bytes` with `seed`, as an unsigned integer.
 * Matches the reference implementation (SMHasher's `MurmurHash3_x86_32`) on little-endian input order.
 */
export function murmur3(bytes: Uint8Array, length: number = bytes.length, seed = 0): number {
  let h = seed | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[blocks + 2]! << 16;
    if (rest >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    h ^= mixK(k);
  }
  return finish(h, length);
}

/** The hash of an all-ASCII string straight from its char codes (its UTF-8 bytes are its char codes). */
function murmur3Ascii(text: string, seed: number): number {
  let h = seed | 0;
  const length = text.length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(
      h,
      text.charCodeAt(i) |
        (text.charCodeAt(i + 1) << 8) |
        (text.charCodeAt(i + 2) << 16) |
        (text.charCodeAt(i + 3) << 24),
    );
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= text.charCodeAt(blocks + 2) << 16;
    if (rest >= 2) k ^= text.charCodeAt(blocks + 1) << 8;
    k ^= text.charCodeAt(blocks);
    h ^= mixK(k);
  }
  return finish(h, length);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * MurmurHash3 x86 32-bit of the UTF-8 encoding of `text` (lone surrogates encode as U+FFFD, as
 * `TextEncoder` does). ASCII is hashed from the char codes; anything else is encoded into a reused buffer.
 */
export function murmur3String(text: string, seed = 0): number {
  if (isAscii(text)) return murmur3Ascii(text, seed);
  if (text.length > MAX_SCRATCH_CHARS) return murmur3(encoder.encode(text), undefined, seed);
  const needed = text.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  const { written } = encoder.encodeInto(text, scratch);
  return murmur3(scratch, written, seed);
}

/**
 * The rollout bucket (0..99,999) of `value` under `salt`: `murmur3(utf8(salt + ':' + value)) % 100000`.
 * A flag's salt defaults to its key, so the same id lands in unrelated buckets of different flags.
 *
 * @example
 * ```ts
 * import { bucketOf } from 'backend-patterns/flags';
 * const bucket = bucketOf('new-checkout', 'user-42'); // 0..99999, the same in every process
 * ```
 */
export function bucketOf(salt: string, value: string): number {
  return murmur3String(salt + ':' + value) % BUCKET_COUNT;
}
