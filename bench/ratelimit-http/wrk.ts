/**
 * Runs wrk with keys.lua and parses what `--latency` prints: requests per second, the 50th and 99th
 * percentile, the request count and socket errors.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { onPath } from '../../test/support/processes.js';

const run = promisify(execFile);
const KEYS_SCRIPT = resolve(import.meta.dirname, 'keys.lua');

/** What one wrk run measured. */
export interface WrkResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses completed within the duration. */
  readonly requests: number;
  /** Non-2xx/3xx responses as wrk counted them (429s and 503s). */
  readonly non2xx: number;
  /** connect + read + write + timeout errors. */
  readonly socketErrors: number;
}

/** Options of one wrk run. */
export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** Prefix of the client keys of this run (keys.lua's first argument). */
  readonly namespace: string;
  readonly keys: number;
}

/** Fails with the install hint when wrk is missing, before any server is started. */
export function requireWrk(): void {
  if (!onPath('wrk')) {
    throw new Error(
      'wrk is not on PATH: apt-get install wrk (or set BENCH_HTTP_ROUNDS=0 to skip the end-to-end case)',
    );
  }
}

// Microseconds are divided rather than multiplied by 0.001, so 950.00us reads as exactly 0.95 ms.
const TO_MS: Record<string, (n: number) => number> = {
  us: (n) => n / 1000,
  ms: (n) => n,
  s: (n) => n * 1000,
  m: (n) => n * 60_000,
};

/** `2.11ms`, `950.00us`, `1.02s` → milliseconds. */
export function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`wrk: unexpected duration ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  if (!Number.isFinite(value)) throw new Error(`wrk: unexpected duration ${JSON.stringify(text)}`);
  return (TO_MS[match[2] as string] as (n: number) => number)(value);
}

function field(output: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(output);
  if (!match?.[1]) throw new Error(`wrk: no ${what} in its output:\n${output}`);
  return match[1];
}

/** Parses the text wrk prints with `--latency`. */
export function parseWrk(output: string): WrkResult {
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    perSecond: Number(field(output, /^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')),
    p50Ms: durationMs(field(output, /^\s+50%\s+(\S+)/m, '50% latency')),
    p99Ms: durationMs(field(output, /^\s+99%\s+(\S+)/m, '99% latency')),
    requests: Number(field(output, /^\s+(\d+) requests in/m, 'request count')),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** One wrk run: a single thread (`-t1`), `connections` keep-alive connections, keys.lua. */
export async function wrk(options: WrkOptions): Promise<WrkResult> {
  const { stdout } = await run('wrk', [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '-s',
    KEYS_SCRIPT,
    options.url,
    '--',
    options.namespace,
    String(options.keys),
  ]);
  return parseWrk(stdout);
}
