/**
 * A private `redis-server` for tests that stop, kill or restart it (failover, crash, eviction tests).
 * Never touch the shared server on 6379 for that.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onPath, spawnTracked, waitFor } from './processes.js';
import { pingRedis } from './redis-service.js';

/** A running private Redis. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Data directory (AOF/RDB files live here). */
  readonly dir: string;
  /** Graceful stop (SIGTERM) and wait; the data directory is kept until `stop()`. */
  shutdown(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: the server hangs with its connections open (a stall, a network black hole). */
  pause(): void;
  /** SIGCONT after `pause()`: the server answers what queued meanwhile. */
  resume(): void;
  /** Starts the server again on the same port and directory (after shutdown or kill). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface PrivateRedisOptions {
  /** Extra redis-server arguments, e.g. `['--appendonly', 'yes', '--appendfsync', 'always']`. */
  readonly args?: readonly string[];
  /** Fixed port; default a free one. */
  readonly port?: number;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** Starts a private `redis-server` on a free loopback port with persistence off unless `args` say otherwise. */
export async function startRedisServer(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  if (!onPath('redis-server')) {
    throw new Error('redis-server is not on PATH: install it (apt-get install redis-server) for this test');
  }
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'bp-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let removed = false;

  const start = async () => {
    child = spawnTracked('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ]);
    await waitFor(`redis-server on ${port}`, () => pingRedis(url, 200));
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const current = child;
    child = undefined;
    current.kill(signal);
    await exited(current);
  };

  await start();
  return {
    port,
    url,
    dir,
    shutdown: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: async () => {
      await stopWith('SIGKILL');
      await start();
    },
    async stop() {
      await stopWith('SIGKILL');
      if (!removed) rmSync(dir, { recursive: true, force: true });
      removed = true;
    },
  };
}
