/**
 * A private `clamd` for tests: its own config, signature database, sockets and logs in one temp folder,
 * no freshclam and no system service (Debian's clamav-daemon unit is never used). The database is the
 * tests' own: body signatures (`.ndb`) for EICAR and for a second marker string, their hex made by
 * `sigtool --hex-dump`, so a match is found anywhere in a stream, across INSTREAM chunk boundaries too.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { exited } from './process-tree.js';
import { freePort, onPath, spawnTracked } from './processes.js';
import { removeTempDir, trackedTempDir } from './temp-dirs.js';

/** The EICAR test file (68 bytes), built from two halves so this source file itself matches no scanner. */
export const EICAR = Buffer.from(
  `${'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-'}${'ANTIVIRUS-TEST-FILE!$H+H*'}`,
  'latin1',
);
/** Name the tests' database gives the EICAR signature. */
export const EICAR_SIGNATURE_NAME = 'BP.Test.EICAR';
/** What clamd reports for it: a database not signed by Cisco gets `.UNOFFICIAL` appended. */
export const EICAR_SIGNATURE = `${EICAR_SIGNATURE_NAME}.UNOFFICIAL`;
/** A second string the database flags, for tests that want a match that is not EICAR. */
export const MARKER = Buffer.from('bp-test-malware-marker-7f3a9c', 'latin1');
/** Name of the {@link MARKER} signature in the database. */
export const MARKER_SIGNATURE_NAME = 'BP.Test.Marker';
/** What clamd reports for {@link MARKER}. */
export const MARKER_SIGNATURE = `${MARKER_SIGNATURE_NAME}.UNOFFICIAL`;

/** Options of {@link startClamd}. */
export interface ClamdOptions {
  /** `StreamMaxLength`: INSTREAM bytes clamd accepts before `INSTREAM size limit exceeded`; default 25 MiB. */
  readonly streamMaxBytes?: number;
  /** `MaxFileSize`; default = streamMaxBytes. */
  readonly maxFileBytes?: number;
  /** `MaxScanSize`; default = 4 x streamMaxBytes. */
  readonly maxScanBytes?: number;
  /** `AlertExceedsMax`: a file over a limit is `Heuristics.Limits.Exceeded… FOUND`, not `OK`; default true. */
  readonly alertExceedsMax?: boolean;
  /** `ExtendedDetectionInfo`: `Sig(md5:size) FOUND`; default false. */
  readonly extendedDetectionInfo?: boolean;
  /** Extra clamd.conf lines, e.g. `ReadTimeout 5`. */
  readonly extraConfig?: readonly string[];
  /** How long start-up may take; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** A running private clamd. */
export interface Clamd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The `LocalSocket` path (Unix socket). */
  readonly socketPath: string;
  /** The temp folder (config, database, logs, sockets); removed by `stop()`. */
  readonly dir: string;
  readonly pid: number;
  /** Spawn to first PONG, in ms. */
  readonly startMs: number;
  /** SIGKILL now, as a crash (the folder stays until `stop()`). */
  kill(): Promise<void>;
  /** SIGKILLs clamd, waits for it and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Why clamd cannot start here, or undefined when clamd and sigtool are installed. */
export function clamdMissing(): string | undefined {
  const missing = ['clamd', 'sigtool'].filter((b) => !onPath(b));
  return missing.length
    ? `${missing.join(', ')} not installed: apt-get install clamav-daemon clamav`
    : undefined;
}

/** The tests' signature database (`.ndb`: name, any target, any offset, hex body). */
export function testDatabase(): string {
  const hex = (bytes: Buffer) => execFileSync('sigtool', ['--hex-dump'], { input: bytes }).toString().trim();
  return `${EICAR_SIGNATURE_NAME}:0:*:${hex(EICAR)}\n${MARKER_SIGNATURE_NAME}:0:*:${hex(MARKER)}\n`;
}

function clamdConf(dir: string, port: number, options: ClamdOptions): string {
  const stream = options.streamMaxBytes ?? 25 * 1024 * 1024;
  const yes = (flag: boolean) => (flag ? 'yes' : 'no');
  return [
    'Foreground yes',
    `LogFile ${join(dir, 'clamd.log')}`,
    'LogTime yes',
    `PidFile ${join(dir, 'clamd.pid')}`,
    `DatabaseDirectory ${join(dir, 'db')}`,
    `TemporaryDirectory ${join(dir, 'tmp')}`,
    `LocalSocket ${join(dir, 'clamd.sock')}`,
    'LocalSocketMode 600',
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `StreamMaxLength ${stream}`,
    `MaxFileSize ${options.maxFileBytes ?? stream}`,
    `MaxScanSize ${options.maxScanBytes ?? stream * 4}`,
    `AlertExceedsMax ${yes(options.alertExceedsMax ?? true)}`,
    `ExtendedDetectionInfo ${yes(options.extendedDetectionInfo ?? false)}`,
    // A small private instance: few threads, no database reload copy, no self-check of the database.
    'MaxThreads 4',
    'ConcurrentDatabaseReload no',
    'SelfCheck 0',
    'Bytecode no',
    ...(options.extraConfig ?? []),
    '',
  ].join('\n');
}

function logTail(dir: string): string {
  return ['clamd.out', 'clamd.log']
    .map((name) => join(dir, name))
    .filter((file) => existsSync(file))
    .map((file) => `--- ${file}:\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n')}`)
    .join('\n');
}

/** Sends `zPING\0` to clamd and expects `PONG`. */
export function pingClamd(
  target: { host: string; port: number } | { socketPath: string },
  timeoutMs = 1000,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (data: Buffer) => {
      reply += data.toString('latin1');
      if (reply.includes('\0')) done(reply === 'PONG\0');
    });
    socket.once('end', () => done(reply === 'PONG\0'));
    socket.once('connect', () => socket.write('zPING\0'));
  });
}

/** Starts clamd on the tests' database; rejects with its log tail when it exits or does not answer. */
export async function startClamd(options: ClamdOptions = {}): Promise<Clamd> {
  const missing = clamdMissing();
  if (missing) throw new Error(missing);
  const dir = trackedTempDir('bp-clamd-');
  let child: ChildProcess | undefined;
  const kill = async () => {
    const current = child;
    child = undefined;
    if (!current) return;
    current.kill('SIGKILL');
    await exited(current);
  };
  try {
    const port = await freePort();
    mkdirSync(join(dir, 'db'));
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(join(dir, 'db', 'bp-test.ndb'), testDatabase());
    writeFileSync(join(dir, 'clamd.conf'), clamdConf(dir, port, options));
    const out = openSync(join(dir, 'clamd.out'), 'a');
    const startedAt = performance.now();
    const spawned = spawnTracked('clamd', ['--foreground', `--config-file=${join(dir, 'clamd.conf')}`], {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child = spawned;
    let exitedEarly: string | undefined;
    spawned.once('exit', (code, signal) => {
      exitedEarly = signal ?? `code ${code}`;
    });
    spawned.once('error', (error) => {
      exitedEarly = error.message;
    });
    // Own loop rather than waitFor: an exit must fail the start at once, with the log, not at the timeout.
    const deadline = performance.now() + (options.startTimeoutMs ?? 30_000);
    while (!(await pingClamd({ host: '127.0.0.1', port }, 500))) {
      if (exitedEarly) throw new Error(`clamd exited (${exitedEarly}) during start-up:\n${logTail(dir)}`);
      if (performance.now() > deadline) throw new Error(`clamd did not answer PING:\n${logTail(dir)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const startMs = performance.now() - startedAt;
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      socketPath: join(dir, 'clamd.sock'),
      dir,
      pid: spawned.pid ?? -1,
      startMs,
      kill,
      stop: () => {
        stopped ??= kill().then(() => removeTempDir(dir));
        return stopped;
      },
    };
  } catch (error) {
    await kill();
    removeTempDir(dir);
    throw error;
  }
}
