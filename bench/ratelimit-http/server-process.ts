/**
 * Starts server.ts as a child process (its own Node, as an app runs), waits for `ready <port>`, reads its
 * counters, and stops it with SIGTERM.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { spawnTracked } from '../../test/support/processes.js';

const root = resolve(import.meta.dirname, '../..');
const SERVER = resolve(import.meta.dirname, 'server.ts');
const READY_TIMEOUT_MS = 30_000;

/** How one server is configured (server.ts's arguments). */
export interface ServerConfig {
  /** `none`: the same server answering every request 200 undecided, the ceiling any limiter can reach. */
  readonly limiter: 'ours' | 'rlf' | 'none';
  readonly store: 'redis' | 'memory';
  readonly algorithm: string;
  readonly limit: number;
  readonly windowS: number;
  /** Key prefix of this server's state: fresh per round. */
  readonly prefix: string;
  readonly redisUrl: string;
}

/** The server's counters (GET /_stats). */
export interface ServerCounts {
  readonly decisions: number;
  readonly allowed: number;
  readonly denied: number;
  readonly errors: number;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  counts(): Promise<ServerCounts>;
  /** SIGTERM; resolves to the line it printed on the way out. */
  stop(): Promise<string>;
}

function args(config: ServerConfig): string[] {
  return [
    '--import',
    'tsx',
    SERVER,
    `--limiter=${config.limiter}`,
    `--store=${config.store}`,
    `--algorithm=${config.algorithm}`,
    `--limit=${config.limit}`,
    `--window-s=${config.windowS}`,
    `--prefix=${config.prefix}`,
    `--redis-url=${config.redisUrl}`,
  ];
}

/** Resolves to the port once the child prints `ready <port>`; rejects if it exits or takes too long. */
function ready(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`bench server ${why}:\n${output.stderr}`));
    };
    child.stdout?.on('data', () => {
      const match = /^ready (\d+)$/m.exec(output.stdout);
      if (!match) return;
      clearTimeout(timer);
      resolvePort(Number(match[1]));
    });
    // After `ready` this rejection is a no-op: the promise has settled.
    child.once('exit', (code) => fail(`exited (${code}) before it was ready`));
  });
}

/** Starts one server process. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const child = spawnTracked(process.execPath, args(config), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const port = await ready(child, output);
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    async counts() {
      const response = await fetch(`${url}_stats`);
      return (await response.json()) as ServerCounts;
    },
    stop() {
      const lastLine = () => /^decisions .*$/m.exec(output.stdout)?.[0] ?? '(no decisions line)';
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(lastLine());
      return new Promise((resolveLine) => {
        child.once('exit', () => resolveLine(lastLine()));
        child.kill('SIGTERM');
      });
    },
  };
}
