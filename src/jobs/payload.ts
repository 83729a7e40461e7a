/**
 * Payload checks at `add`: a payload must survive JSON unchanged, so a job never runs with data that
 * differs from what the producer passed (a Date turned string, an `undefined` field dropped).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { PayloadTooLargeError } from './errors.js';

const MAX_DEPTH = 64;

function checkJsonSafe(value: unknown, path: string, depth: number, seen: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notSerialisable(path, 'a non-finite number');
    return;
  }
  if (typeof value !== 'object') throw notSerialisable(path, `a ${typeof value}`);
  if (depth > MAX_DEPTH) throw notSerialisable(path, `nesting deeper than ${MAX_DEPTH}`);
  if (seen.has(value)) throw notSerialisable(path, 'a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJsonSafe(value[i], `${path}[${i}]`, depth + 1, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw notSerialisable(path, `an instance of ${value.constructor?.name ?? 'a class'}`);
    }
    for (const key of Object.keys(value)) {
      checkJsonSafe((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, seen);
    }
  }
  seen.delete(value);
}

const notSerialisable = (path: string, what: string) =>
  new InvalidArgumentError(`\`payload\` must be JSON-safe, but ${path} is ${what}`);

/** Returns the payload's JSON, or throws a typed error when it is not JSON-safe or too large. */
export function encodePayload(payload: unknown, maxPayloadBytes: number): string {
  checkJsonSafe(payload, 'payload', 0, new Set());
  const json = JSON.stringify(payload);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxPayloadBytes) {
    throw new PayloadTooLargeError(
      `\`payload\` is ${bytes} bytes of JSON, over \`maxPayloadBytes\` ${maxPayloadBytes}`,
      maxPayloadBytes,
    );
  }
  return json;
}

/** Encodes a handler's result; a result that is not JSON-safe is stored as null rather than failing the job. */
export function encodeResult(result: unknown): string {
  if (result === undefined) return 'null';
  try {
    checkJsonSafe(result, 'result', 0, new Set());
    return JSON.stringify(result);
  } catch {
    return 'null';
  }
}
