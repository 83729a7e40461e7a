/**
 * The Lua kit. A script is defined once, from a typed definition: its name, what each KEYS[i] and ARGV[i]
 * is, the constants it shares with TypeScript, the shared Lua chunks it uses, its body and a decoder for
 * its reply. `defineScript` writes the header from that definition (so the header cannot drift from the
 * call sites), injects the constants as `local NAME = value` lines (so no literal is repeated between TS
 * and Lua), and refuses a body that declares its own upper-case constant.
 *
 * `runScript` sends it with EVALSHA, falls back to EVAL when the server does not know the script (after a
 * restart, a failover or `SCRIPT FLUSH`; EVAL also caches it again) and decodes the reply: a Redis error
 * or an unexpected reply becomes a `StoreError` naming the script. Works with an ioredis `Redis` or
 * `Cluster` (EVALSHA is routed by its first key).
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, StoreError } from '../errors.js';
import { type ReplyDecoder, ReplyShapeError } from './reply.js';

/** The two commands the runner needs; ioredis `Redis` and `Cluster` satisfy it. */
export interface RedisScriptClient {
  evalsha(sha1: string, numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(source: string, numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/** A value shared between TypeScript and Lua. Strings are limited to printable ASCII. */
export type LuaConstant = number | string | boolean;

/** A KEYS or ARGV list whose length depends on the call; `layout` documents the repetition. */
export interface VariadicList {
  readonly variadic: string;
}

/** Shared Lua (local functions) used by several scripts, with the constants it needs. */
export interface LuaChunk {
  readonly name: string;
  readonly constants?: Readonly<Record<string, LuaConstant>>;
  /** Chunks this one calls; they are emitted first, once. */
  readonly uses?: readonly LuaChunk[];
  readonly source: string;
}

/** Everything `defineScript` needs. Each list entry reads `name: meaning`, e.g. `'state: the counter hash'`. */
export interface ScriptDefinition<R> {
  /** `<module>-<verb>`, e.g. `ratelimit-decide`; shown in errors and logs. */
  readonly name: string;
  /** One sentence: what the script changes, atomically. */
  readonly summary: string;
  readonly keys: readonly string[] | VariadicList;
  readonly args: readonly string[] | VariadicList;
  /** What the reply holds, in the order `reply` decodes it. */
  readonly returns: string;
  readonly constants?: Readonly<Record<string, LuaConstant>>;
  readonly uses?: readonly LuaChunk[];
  readonly body: string;
  /** Decoder of the reply; see `reply` in core/redis/reply.ts. */
  readonly reply: ReplyDecoder<R>;
}

/** A Lua script ready to run; `R` is what its reply decodes to. */
export interface RedisScript<R = unknown> {
  readonly name: string;
  /** Fixed number of keys, or `'variadic'` when the caller passes as many as it needs. */
  readonly numberOfKeys: number | 'variadic';
  /** Lua source, header first. */
  readonly source: string;
  /** SHA-1 of the source, as Redis computes it. */
  readonly sha1: string;
  readonly decode: ReplyDecoder<R>;
}

/**
 * The "use Redis time" marker: sent in a script's time argument when the adapter has no `clock`, so the
 * script reads `TIME` and every app server decides on one clock. See {@link timeArg}.
 */
export const REDIS_TIME = '';

/** The value of a script's time argument: the adapter clock's reading, or {@link REDIS_TIME}. */
export function timeArg(clock: { now(): number } | undefined): number | typeof REDIS_TIME {
  return clock === undefined ? REDIS_TIME : clock.now();
}

/**
 * `now_us(arg)` / `now_ms(arg)`: the time of a script's time argument (see {@link timeArg}), from Redis
 * `TIME` when it is the marker. `fmt(x)` writes an integer with `%d`: Lua's default `%.14g` would round
 * microsecond timestamps.
 */
export const SERVER_TIME: LuaChunk = {
  name: 'server-time',
  constants: { REDIS_TIME },
  source: `
local function now_us(arg)
  if arg == REDIS_TIME then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
  return tonumber(arg) * 1000
end
local function now_ms(arg) return math.floor(now_us(arg) / 1000) end
local function fmt(x) return string.format('%d', x) end
`,
};

const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** A body that declares `local NAME = <literal>` should take NAME from `constants` instead. */
const LOCAL_LITERAL_CONSTANT = /^\s*local\s+([A-Z][A-Z0-9_]*)\s*=\s*(-?\d|'|")/m;

function luaLiteral(name: string, value: LuaConstant): string {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new Error(`Lua constant ${name} must be a finite number within the safe integer range`);
    }
    return String(value);
  }
  if (!PRINTABLE_ASCII.test(value)) throw new Error(`Lua constant ${name} must be printable ASCII`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function describeList(label: 'KEYS' | 'ARGV', list: readonly string[] | VariadicList): string[] {
  if ('variadic' in list) return [`-- ${label} (variadic): ${list.variadic}`];
  return list.map((entry, i) => `-- ${label}[${i + 1}] ${entry}`);
}

/** Chunks in dependency order, each once. */
function orderChunks(chunks: readonly LuaChunk[], out: LuaChunk[] = []): LuaChunk[] {
  for (const chunk of chunks) {
    if (out.includes(chunk)) continue;
    orderChunks(chunk.uses ?? [], out);
    out.push(chunk);
  }
  return out;
}

function mergeConstants(
  owner: string,
  sources: readonly (Readonly<Record<string, LuaConstant>> | undefined)[],
) {
  const merged = new Map<string, LuaConstant>();
  for (const source of sources) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (!CONSTANT_NAME.test(name)) throw new Error(`${owner}: Lua constant ${name} must be UPPER_CASE`);
      if (merged.has(name) && merged.get(name) !== value) {
        throw new Error(`${owner}: Lua constant ${name} is defined twice with different values`);
      }
      merged.set(name, value);
    }
  }
  return merged;
}

/** A Lua comment or string literal: constants are never substituted inside one. */
const LUA_STRING = /--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g;
const CONSTANT_TOKEN = /\b[A-Z][A-Z0-9_]*\b/g;

/**
 * Writes each constant as its literal where the code names it. Not as `local NAME = value` lines: every
 * local function that names one would capture it as an upvalue, and Redis creates the script's closures
 * on every call, at some 270 instructions per captured upvalue (measured with callgrind: more than the
 * commands of a small script).
 */
function inlineConstants(lua: string, literals: ReadonlyMap<string, string>): string {
  let out = '';
  let at = 0;
  const replace = (code: string) => code.replace(CONSTANT_TOKEN, (token) => literals.get(token) ?? token);
  for (const match of lua.matchAll(LUA_STRING)) {
    out += replace(lua.slice(at, match.index)) + match[0];
    at = match.index + match[0].length;
  }
  return out + replace(lua.slice(at));
}

function checkNoLocalLiterals(owner: string, source: string): void {
  const found = LOCAL_LITERAL_CONSTANT.exec(source);
  if (found)
    throw new Error(`${owner}: \`local ${found[1]} = ...\` must come from \`constants\` (shared with TS)`);
}

/**
 * Defines a script from its typed definition. Throws (at import, so any test catches it) when a constant
 * is malformed or defined twice, or when Lua source declares an upper-case literal of its own.
 */
export function defineScript<R>(definition: ScriptDefinition<R>): RedisScript<R> {
  const chunks = orderChunks(definition.uses ?? []);
  const owner = `script ${definition.name}`;
  for (const chunk of chunks) checkNoLocalLiterals(`${owner} (chunk ${chunk.name})`, chunk.source);
  checkNoLocalLiterals(owner, definition.body);
  const constants = mergeConstants(owner, [...chunks.map((c) => c.constants), definition.constants]);
  const literals = new Map([...constants].map(([name, value]) => [name, luaLiteral(name, value)]));
  const code = (lua: string) => inlineConstants(lua.trim(), literals);
  const lines = [
    `-- ${definition.name}: ${definition.summary}`,
    ...describeList('KEYS', definition.keys),
    ...describeList('ARGV', definition.args),
    `-- returns: ${definition.returns}`,
    ...[...literals].map(([name, literal]) => `-- constant ${name} = ${literal}`),
    ...chunks.map((chunk) => `-- chunk ${chunk.name}\n${code(chunk.source)}`),
    code(definition.body),
    '',
  ];
  const source = lines.join('\n');
  return Object.freeze({
    name: definition.name,
    numberOfKeys: 'variadic' in definition.keys ? 'variadic' : definition.keys.length,
    source,
    sha1: createHash('sha1').update(source).digest('hex'),
    decode: definition.reply,
  });
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/** Decodes a raw reply of `script`, turning a shape error into a `StoreError` naming the script. */
export function decodeReply<R>(script: RedisScript<R>, raw: unknown): R {
  try {
    return script.decode(raw, '');
  } catch (error) {
    if (error instanceof ReplyShapeError) {
      throw new StoreError(`unexpected reply from redis script ${script.name}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Runs `script` with EVALSHA, and with EVAL when Redis answers NOSCRIPT, then decodes the reply. Redis
 * errors and unexpected replies reject with a `StoreError` naming the script (the cause is kept).
 */
export function runScript<R>(
  client: RedisScriptClient,
  script: RedisScript<R>,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<R> {
  if (script.numberOfKeys !== 'variadic' && keys.length !== script.numberOfKeys) {
    return Promise.reject(
      new InvalidArgumentError(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`),
    );
  }
  const wrap = (error: unknown): never => {
    throw new StoreError(`redis script ${script.name} failed`, { cause: error });
  };
  const decode = (raw: unknown) => decodeReply(script, raw);
  // One promise chain, no async wrapper: this runs once per rate-limit decision batch.
  return client
    .evalsha(script.sha1, keys.length, ...keys, ...args)
    .catch((error: unknown) => {
      if (!isNoScript(error)) return wrap(error);
      return client.eval(script.source, keys.length, ...keys, ...args).catch(wrap);
    })
    .then(decode);
}
