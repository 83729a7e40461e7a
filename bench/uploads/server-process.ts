/**
 * Starts server.ts as a child process (its own Node, as an app runs), waits for `ready <port>`, reads its
 * CPU and memory, and stops it with SIGTERM.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { spawnTracked } from '../../test/support/processes.js';
import type { ServerConfig } from './server.js';

const root = resolve(import.meta.dirname, '../..');
const SERVER = resolve(import.meta.dirname, 'server.ts');
const READY_TIMEOUT_MS = 60_000;

/** The server's own figures (GET /_stats). */
export interface ServerStats {
  /** CPU time so far, user + system, µs. */
  readonly cpuUs: number;
  readonly rssBytes: number;
  /** Largest RSS since the last {@link BenchServer.resetPeak}. */
  readonly peakRssBytes: number;
}

/** A running bench server. */
export interface BenchServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  stats(): Promise<ServerStats>;
  /** Starts a new peak-RSS window; resolves to the figures at its start. */
  resetPeak(): Promise<ServerStats>;
  /** SIGTERM, then waits for the exit. Safe to call twice. */
  stop(): Promise<void>;
}

function ready(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`uploads bench server ${why}:\n${output.stderr}`));
    };
    child.stdout?.on('data', () => {
      const match = /^ready (\d+)$/m.exec(output.stdout);
      if (!match) return;
      clearTimeout(timer);
      resolvePort(Number(match[1]));
    });
    // After `ready` this is a no-op: the promise has settled.
    child.once('exit', (code) => fail(`exited (${code}) before it was ready`));
  });
}

async function getJson<T>(url: string, method: 'GET' | 'POST'): Promise<T> {
  const response = await fetch(url, { method });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Starts one server process with `config`; `nodeArgs` go to its Node (e.g. `--cpu-prof`, which
 * NODE_OPTIONS does not take).
 */
export async function startBenchServer(
  config: ServerConfig,
  nodeArgs: readonly string[] = [],
): Promise<BenchServer> {
  const child = spawnTracked(process.execPath, [...nodeArgs, '--import', 'tsx', SERVER], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_UPLOADS_SERVER: JSON.stringify(config) },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const port = await ready(child, output);
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    stats: () => getJson<ServerStats>(`${url}/_stats`, 'GET'),
    resetPeak: () => getJson<ServerStats>(`${url}/_peak`, 'POST'),
    stop() {
      stopped ??=
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            });
      return stopped;
    },
  };
}
