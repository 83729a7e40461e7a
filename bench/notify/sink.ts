/**
 * Starts the SMTP sink (sink-process.ts) as a tracked child process and reads its counters over IPC.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { spawnTracked } from '../../test/support/processes.js';

const root = resolve(import.meta.dirname, '../..');
const SINK = resolve(import.meta.dirname, 'sink-process.ts');
const READY_TIMEOUT_MS = 30_000;

/** What the sink has accepted since it started. */
export interface SinkCounts {
  /** Messages read to the end of DATA and answered 250. */
  readonly messages: number;
  /** Their bytes, as received (dot-unstuffed by smtp-server). */
  readonly bytes: number;
  /** SMTP connections opened. */
  readonly connections: number;
}

/** A running sink. */
export interface SmtpSink {
  readonly port: number;
  counts(): Promise<SinkCounts>;
  stop(): Promise<void>;
}

interface SinkMessage {
  readonly ready?: number;
  readonly counts?: SinkCounts;
}

function ready(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`smtp sink ${why}:\n${stderr()}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.on('message', (message: SinkMessage) => {
      if (message.ready === undefined) return;
      clearTimeout(timer);
      resolvePort(message.ready);
    });
    // After `ready` this is a no-op: the promise has settled.
    child.once('exit', (code) => fail(`exited (${code}) before it was ready`));
  });
}

/** Starts the sink; resolves once it listens. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const child = spawnTracked(process.execPath, ['--import', 'tsx', SINK], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const port = await ready(child, () => stderr);
  return {
    port,
    counts: () =>
      new Promise((resolveCounts, reject) => {
        const onMessage = (message: SinkMessage) => {
          if (message.counts === undefined) return;
          child.off('message', onMessage);
          resolveCounts(message.counts);
        };
        if (!child.connected) {
          reject(new Error(`smtp sink is gone:\n${stderr}`));
          return;
        }
        child.on('message', onMessage);
        child.send('count');
      }),
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolveStop) => {
        child.once('exit', () => resolveStop());
        child.disconnect();
      });
    },
  };
}
