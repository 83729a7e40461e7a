/**
 * Typed decoders for Redis replies. A script's reply is `unknown` until a decoder has checked its shape;
 * an unexpected shape (a changed script, a proxy mangling replies, a wrong server) becomes a `StoreError`
 * naming the script and the path, never a bare cast that fails later somewhere else.
 *
 * Redis turns Lua numbers into integers (truncated), Lua strings into bulk strings, `nil`/`false` into
 * null and `true` into 1, so these decoders cover every shape a script can return.
 */

/** Thrown by a decoder; `runScript` turns it into a `StoreError` naming the script. */
export class ReplyShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${path || 'reply'}: expected ${expected}, got ${describeValue(got)}`);
  }
}

/**
 * Checks a reply (or part of one) and returns it typed. `path` names the part, for the error; containers
 * pass `''` to their elements and prefix the element's index only when it throws, so the success path
 * builds no strings (these run once per rate-limit batch and per job claim).
 */
export type ReplyDecoder<T> = (value: unknown, path: string) => T;

/** Runs `decode` on element `index` of a container at `path`; on failure, the error names the full path. */
function element<T>(decode: ReplyDecoder<T>, value: unknown, path: string, index: number | string): T {
  try {
    return decode(value, '');
  } catch (error) {
    if (!(error instanceof ReplyShapeError)) throw error;
    throw new ReplyShapeError(`${path}[${index}]${error.path}`, error.expected, error.got);
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'string') return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  return typeof value === 'number' ? String(value) : typeof value;
}

const integer: ReplyDecoder<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new ReplyShapeError(path, 'integer', value);
  return value;
};

const string: ReplyDecoder<string> = (value, path) => {
  if (typeof value !== 'string') throw new ReplyShapeError(path, 'string', value);
  return value;
};

/** A decimal number sent as a string (Lua loses fractions when it returns numbers). */
const numeric: ReplyDecoder<number> = (value, path) => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new ReplyShapeError(path, 'numeric string', value);
  return n;
};

const flag: ReplyDecoder<boolean> = (value, path) => {
  if (value !== 0 && value !== 1) throw new ReplyShapeError(path, '0 or 1', value);
  return value === 1;
};

const ok: ReplyDecoder<'OK'> = (value, path) => {
  if (value !== 'OK') throw new ReplyShapeError(path, "'OK'", value);
  return 'OK';
};

function array<T>(item: ReplyDecoder<T>): ReplyDecoder<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new ReplyShapeError(path, 'array', value);
    const out = new Array<T>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = element(item, value[i], path, i);
    return out;
  };
}

type Decoded<D> = { -readonly [K in keyof D]: D[K] extends ReplyDecoder<infer T> ? T : never };

/** A fixed-length array whose elements each have their own decoder. */
function tuple<const D extends readonly ReplyDecoder<unknown>[]>(...items: D): ReplyDecoder<Decoded<D>> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length !== items.length) {
      throw new ReplyShapeError(path, `array(${items.length})`, value);
    }
    return items.map((decode, i) => element(decode, value[i], path, i)) as Decoded<D>;
  };
}

/** A fixed head of typed elements followed by any number of elements decoded by `rest`. */
function headAndRest<const D extends readonly ReplyDecoder<unknown>[], R>(
  head: D,
  rest: ReplyDecoder<R>,
): ReplyDecoder<{ head: Decoded<D>; rest: R[] }> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length < head.length) {
      throw new ReplyShapeError(path, `array(>= ${head.length})`, value);
    }
    const decodedHead = head.map((decode, i) => element(decode, value[i], path, i)) as Decoded<D>;
    const decodedRest: R[] = [];
    for (let i = head.length; i < value.length; i++) decodedRest.push(element(rest, value[i], path, i));
    return { head: decodedHead, rest: decodedRest };
  };
}

/** An array read in groups of `size` (e.g. 6 numbers per policy); its length must be a multiple. */
function chunks<T>(size: number, item: ReplyDecoder<T>): ReplyDecoder<T[][]> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length % size !== 0) {
      throw new ReplyShapeError(path, `array of groups of ${size}`, value);
    }
    const out: T[][] = [];
    for (let i = 0; i < value.length; i += size) {
      const group: T[] = [];
      for (let j = 0; j < size; j++) group.push(element(item, value[i + j], path, i + j));
      out.push(group);
    }
    return out;
  };
}

/** `null` (a Lua nil or false) or what `inner` decodes. */
function nullable<T>(inner: ReplyDecoder<T>): ReplyDecoder<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

/** A flat `[field, value, field, value, ...]` array (HGETALL, or a script returning pairs) as a record. */
function pairs<T>(item: ReplyDecoder<T>): ReplyDecoder<Record<string, T>> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length % 2 !== 0)
      throw new ReplyShapeError(path, 'field/value pairs', value);
    const out: Record<string, T> = Object.create(null);
    for (let i = 0; i < value.length; i += 2) {
      const field = element(string, value[i], path, i);
      out[field] = element(item, value[i + 1], path, i + 1);
    }
    return out;
  };
}

/** JSON text sent by a script (`cjson.encode`), parsed and then checked by `inner`. */
function json<T>(inner: ReplyDecoder<T>): ReplyDecoder<T> {
  return (value, path) => {
    const text = string(value, path);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ReplyShapeError(path, 'JSON text', value);
    }
    return inner(parsed, path);
  };
}

/** Maps a decoded value; `map` may throw `ReplyShapeError` for values the shape allows but the meaning does not. */
function map<A, B>(inner: ReplyDecoder<A>, to: (value: A, path: string) => B): ReplyDecoder<B> {
  return (value, path) => to(inner(value, path), path);
}

/** One of the given literal values. */
function literal<const T extends readonly (string | number)[]>(...allowed: T): ReplyDecoder<T[number]> {
  return (value, path) => {
    if (!(allowed as readonly unknown[]).includes(value)) {
      throw new ReplyShapeError(path, allowed.map((a) => JSON.stringify(a)).join(' | '), value);
    }
    return value as T[number];
  };
}

/** The reply decoders, to compose a script's `reply`. */
export const reply = {
  integer,
  string,
  numeric,
  flag,
  ok,
  array,
  tuple,
  headAndRest,
  chunks,
  nullable,
  pairs,
  json,
  map,
  literal,
  /** For a script whose reply is ignored: accepts anything and returns nothing. */
  ignore: ((): undefined => undefined) as ReplyDecoder<undefined>,
} as const;
