/**
 * What an app using OpenFeature's in-memory provider writes for a sticky rollout in its
 * `contextEvaluator`: MurmurHash3 x86 32-bit (seed 0) of `${salt}:${id}`, bucket `hash % 100000`, written
 * here for the bench (the provider has no rollouts of its own). The same documented formula as ours, so
 * that side must agree with ours exactly, rollout flags included. UTF-8 input: ASCII straight from the
 * char codes, anything else through TextEncoder.
 */

const encoder = new TextEncoder();

function mix(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  let next = h ^ Math.imul(k, 0x1b873593);
  next = (next << 13) | (next >>> 19);
  return (Math.imul(next, 5) + 0xe6546b64) | 0;
}

function tail(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return h ^ Math.imul(k, 0x1b873593);
}

function avalanche(h: number, length: number): number {
  let x = h ^ length;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashAscii(text: string): number {
  let h = 0;
  const length = text.length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    h = mix(
      h,
      text.charCodeAt(i) |
        (text.charCodeAt(i + 1) << 8) |
        (text.charCodeAt(i + 2) << 16) |
        (text.charCodeAt(i + 3) << 24),
    );
  }
  const rest = length % 4;
  if (rest > 0) {
    let block = text.charCodeAt(whole);
    if (rest > 1) block |= text.charCodeAt(whole + 1) << 8;
    if (rest > 2) block |= text.charCodeAt(whole + 2) << 16;
    h = tail(h, block);
  }
  return avalanche(h, length);
}

function hashBytes(bytes: Uint8Array): number {
  let h = 0;
  const length = bytes.length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    h = mix(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const rest = length % 4;
  if (rest > 0) {
    let block = bytes[whole]!;
    if (rest > 1) block |= bytes[whole + 1]! << 8;
    if (rest > 2) block |= bytes[whole + 2]! << 16;
    h = tail(h, block);
  }
  return avalanche(h, length);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** MurmurHash3 x86 32-bit, seed 0, of the UTF-8 bytes of `text`. */
export function murmur3(text: string): number {
  return isAscii(text) ? hashAscii(text) : hashBytes(encoder.encode(text));
}

/** The rollout bucket, 0..99,999. */
export function bucket(salt: string, id: string): number {
  return murmur3(`${salt}:${id}`) % 100_000;
}
