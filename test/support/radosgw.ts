/**
 * A throwaway S3: Ceph's RADOS Gateway on a single-node cluster (one mon, one OSD, radosgw), all files in
 * one temp folder, every daemon a plain child process tracked by pid and SIGKILLed on stop (there is no
 * state worth a graceful stop, and SIGTERM takes ~5 s). Unlike s3rver it checks SigV4, presigned
 * conditions and POST policies. Recipe and measurements: ../shared/reference/s3-radosgw.md.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited } from './process-tree.js';
import { freePort, onPath, spawnTracked, waitFor } from './processes.js';
import { cephConf } from './radosgw-conf.js';
import { signedListBucketsOk } from './s3-probe.js';
import { removeTempDir, trackedTempDir } from './temp-dirs.js';

/** Options of {@link startRadosgw}. */
export interface RadosgwOptions {
  /** `memstore` (default: objects in the OSD's RAM, ~2.5 s start) or `bluestore` (a sparse file, for 1 GiB). */
  readonly objectstore?: 'memstore' | 'bluestore';
  /** Size of bluestore's sparse block file; default 8 GiB (only written blocks take disk). */
  readonly blockBytes?: number;
  /** Extra lines for radosgw's `[client.rgw.a]` section, e.g. `rgw max put size = 1048576`. */
  readonly rgwConfig?: readonly string[];
  /** How long the whole start may take; default 60 s (a loaded 2-core machine). */
  readonly startTimeoutMs?: number;
}

/** A running throwaway radosgw. */
export interface Radosgw {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: 'us-east-1';
  /** The temp folder (config, mon and OSD data, logs); removed by `stop()`. */
  readonly dir: string;
  /** Pids of the three daemons (for tests that check nothing is left). */
  readonly pids: readonly number[];
  /** SIGKILLs every daemon, waits for them, removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph', 'monmaptool', 'radosgw-admin'] as const;

/** Why radosgw cannot start here, or undefined when every binary is installed. */
export function radosgwMissing(): string | undefined {
  const missing = BINARIES.filter((b) => !onPath(b));
  return missing.length
    ? `${missing.join(', ')} not installed: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common`
    : undefined;
}

function run(command: string, args: readonly string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function logTail(dir: string, name: string, lines = 20): string {
  const tails = [join(dir, `${name}.out`), join(dir, `${name}.log`)]
    .filter((file) => existsSync(file))
    .map(
      (file) => `--- ${file}:\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`,
    );
  return tails.join('\n') || '(no log)';
}

/** Starts a single-node cluster and radosgw with one S3 user; rejects (with log tails) when any step fails. */
export async function startRadosgw(options: RadosgwOptions = {}): Promise<Radosgw> {
  const missing = radosgwMissing();
  if (missing) throw new Error(missing);
  const dir = trackedTempDir('bp-rgw-');
  const conf = join(dir, 'ceph.conf');
  const daemons: ChildProcess[] = [];
  const names: string[] = [];
  let starting = true;
  let failEarly: (error: Error) => void = () => {};
  const early = new Promise<never>((_, reject) => {
    failEarly = reject;
  });
  early.catch(() => {});
  const stop = async () => {
    for (const child of daemons) child.kill('SIGKILL');
    await Promise.all(daemons.map(exited));
    removeTempDir(dir);
  };
  const daemon = (command: string, name: string, args: readonly string[]) => {
    const out = openSync(join(dir, `${name}.out`), 'a');
    const child = spawnTracked(command, ['-c', conf, ...args, '-f'], { stdio: ['ignore', out, out] });
    closeSync(out);
    daemons.push(child);
    names.push(name);
    const report = (why: string) => {
      if (starting) failEarly(new Error(`${name} ${why} during radosgw start-up:\n${logTail(dir, name)}`));
    };
    child.once('error', (error) => report(`failed to spawn (${error.message})`));
    child.once('exit', (code, signal) => report(`exited (${signal ?? `code ${code}`})`));
  };
  const step = <T>(promise: Promise<T>) => Promise.race([promise, early]);
  try {
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const fsid = randomUUID();
    mkdirSync(join(dir, 'run'));
    mkdirSync(join(dir, 'rgw'));
    writeFileSync(join(dir, 'keyring'), '');
    const objectstore = options.objectstore ?? 'memstore';
    const blockBytes = options.blockBytes ?? 8 * 1024 ** 3;
    writeFileSync(
      conf,
      cephConf({ dir, fsid, monPort, rgwPort, objectstore, blockBytes, rgwConfig: options.rgwConfig }),
    );
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const ceph = (args: readonly string[]) => run('ceph', ['-c', conf, '--connect-timeout', '5', ...args]);

    const monmap = join(dir, 'monmap');
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap]);
    daemon('ceph-mon', 'mon.a', ['-i', 'a']);
    await step(waitFor('ceph-mon', () => ceph(['mon', 'stat']).then(() => true), timeoutMs));

    const osdUuid = randomUUID();
    const osdId = (await step(ceph(['osd', 'new', osdUuid]))).trim();
    if (!/^\d+$/.test(osdId)) throw new Error(`ceph osd new printed ${JSON.stringify(osdId)}`);
    mkdirSync(join(dir, `osd.${osdId}`));
    await step(run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid], timeoutMs));
    daemon('ceph-osd', `osd.${osdId}`, ['-i', osdId]);
    const osdUp = () => ceph(['osd', 'dump']).then((out) => new RegExp(`^osd\\.${osdId} up`, 'm').test(out));
    await step(waitFor(`osd.${osdId} up`, osdUp, timeoutMs));

    daemon('radosgw', 'client.rgw.a', ['-n', 'client.rgw.a']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const answersHttp = () => fetch(endpoint, { signal: AbortSignal.timeout(2000) }).then(() => true);
    await step(waitFor(`radosgw HTTP on ${rgwPort}`, answersHttp, timeoutMs));

    const accessKeyId = `BP${randomBytes(9).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64url');
    const user = ['user', 'create', '--uid=test', '--display-name=test'];
    await step(
      run('radosgw-admin', [
        '-c',
        conf,
        ...user,
        `--access-key=${accessKeyId}`,
        `--secret-key=${secretAccessKey}`,
      ]),
    );
    const target = { endpoint, accessKeyId, secretAccessKey };
    await step(waitFor('a signed ListBuckets', () => signedListBucketsOk(target, 2000), timeoutMs));
    starting = false;
    let stopped: Promise<void> | undefined;
    return {
      ...target,
      region: 'us-east-1',
      dir,
      pids: daemons.map((d) => d.pid ?? -1),
      stop: () => {
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (error) {
    starting = false;
    // Every daemon's log tail, read before the folder goes: a hung daemon says why in its log.
    const exitedEarly = (error as Error).message.includes('during radosgw start-up');
    const tails = exitedEarly ? '' : `\n${names.map((name) => logTail(dir, name, 8)).join('\n')}`;
    await stop();
    throw new Error(`${(error as Error).message}${tails}`, { cause: error });
  }
}
