/**
 * A private RabbitMQ node for tests that kill or restart the broker. It has its own node name
 * (`bp-test-<random>@localhost`), AMQP and distribution ports, data, log and config files in a temp
 * directory, no plugins, and its own HOME (so its own Erlang cookie). The shared node (`rabbit@…` on
 * 5672) is never a target: kills go to the process tree this helper spawned, checked by node name, and
 * `ctl()` always passes `-n <our node>`.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { connect } from 'amqplib';
import { commandOf, descendants, exited, killTree, nodeNameOf, processAlive } from './process-tree.js';
import { freePort, onPath, spawnTracked } from './processes.js';

/** A running private RabbitMQ node. */
export interface PrivateRabbit {
  /** `bp-test-<hex>@localhost`. */
  readonly nodeName: string;
  readonly port: number;
  readonly distPort: number;
  /** `amqp://guest:guest@127.0.0.1:<port>`. */
  readonly url: string;
  /** Temp directory holding data (mnesia), logs, config and HOME. */
  readonly dir: string;
  /** How long each start took, spawn to first accepted AMQP connection, in ms (first start first). */
  readonly startsMs: readonly number[];
  /** OS pid of the node's `beam.smp`, or undefined while it is down. */
  beamPid(): number | undefined;
  /** SIGKILL of the whole process tree (script, beam.smp, erl_child_setup and its ports), as a crash. */
  kill(): Promise<void>;
  /** Graceful stop (SIGTERM to the start script, which stops the node); SIGKILL after `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Starts the node again on the same ports and data directory (kills it first when it is up). */
  restart(): Promise<void>;
  /** `rabbitmqctl -n <this node> …args`, resolving with its stdout. */
  ctl(args: readonly string[]): Promise<string>;
  /** Kills the node and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRabbitNode}. */
export interface PrivateRabbitOptions {
  /** Extra rabbitmq.conf lines, e.g. `consumer_timeout = 5000`. */
  readonly config?: readonly string[];
  /** How long a start may take before it is reported as failed; default 90 s (a loaded 2-core box). */
  readonly startTimeoutMs?: number;
}

const SERVER = 'rabbitmq-server';

/**
 * The real start script. Debian's /usr/sbin/rabbitmq-server is a wrapper that `su`s to the rabbitmq
 * user (who cannot read our 0700 temp dir, and loses our HOME); the script it wraps sits next to it.
 */
function scriptPath(name: string): string | undefined {
  const fixed = `/usr/lib/rabbitmq/bin/${name}`;
  if (existsSync(fixed)) return fixed;
  if (!onPath(name)) return undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, name);
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    if (basename(real) !== 'rabbitmq-script-wrapper') return candidate;
    const wrapped = join(dirname(real), name);
    if (existsSync(wrapped)) return wrapped;
  }
  return undefined;
}

/** Why private-node suites cannot run here, or undefined when they can. */
export function privateRabbitMissing(): string | undefined {
  return scriptPath(SERVER) && scriptPath('rabbitmqctl')
    ? undefined
    : `${SERVER} is not installed: apt-get install rabbitmq-server for the private-node tests`;
}

let bannerShown = false;

/**
 * For `describe.skipIf(skipPrivateRabbit())`: true (with one banner line) when rabbitmq-server is
 * missing; under `CI=true` a missing server throws instead, so the run fails rather than skipping.
 */
export function skipPrivateRabbit(): boolean {
  const missing = privateRabbitMissing();
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${missing}`);
  if (!bannerShown) console.warn(`[rabbitmq-node] SKIPPING private-node suites: ${missing}`);
  bannerShown = true;
  return true;
}

async function acceptsAmqp(url: string): Promise<boolean> {
  try {
    const model = await connect(url, { timeout: 2000 });
    await model.close();
    return true;
  } catch {
    return false;
  }
}

function logTail(dir: string, nodeName: string): string {
  const tails = [join(dir, 'stdout.log'), join(dir, 'log', `${nodeName}.log`)]
    .filter((file) => existsSync(file))
    .map((file) => `${file}:\n${readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')}`);
  return tails.join('\n') || '(no log)';
}

interface Layout {
  readonly nodeName: string;
  readonly port: number;
  readonly distPort: number;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

async function prepare(options: PrivateRabbitOptions): Promise<Layout> {
  const nodeName = `bp-test-${randomBytes(4).toString('hex')}@localhost`;
  const port = await freePort();
  let distPort = await freePort();
  while (distPort === port) distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bp-rabbit-'));
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  // An empty env file replaces /etc/rabbitmq/rabbitmq-env.conf, which names the shared node.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    ['loopback_users.guest = true', ...(options.config ?? [])].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(dir, 'home'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  return { nodeName, port, distPort, dir, env };
}

/** Live nodes, killed when the test process exits even if a test failed before its own cleanup. */
const live = new Set<() => void>();
let exitHooked = false;

/** Starts a private node and resolves once it accepts an AMQP connection. */
export async function startRabbitNode(options: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
  const server = scriptPath(SERVER);
  const ctlScript = scriptPath('rabbitmqctl');
  if (!server || !ctlScript) throw new Error(privateRabbitMissing());
  const { nodeName, port, distPort, dir, env } = await prepare(options);
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const startsMs: number[] = [];
  let child: ChildProcess | undefined;
  let removed = false;

  // The tree of our start script: only these pids are ever signalled.
  const tree = (): number[] => {
    if (child?.pid === undefined) return [];
    const pids = [child.pid, ...descendants(child.pid)];
    const foreign = pids.filter((pid) => ![undefined, nodeName].includes(nodeNameOf(pid)));
    if (foreign.length) throw new Error(`refusing to signal pids of another node: ${foreign.join(', ')}`);
    return pids;
  };
  const beamPid = (): number | undefined => {
    for (const pid of tree()) {
      if (nodeNameOf(pid) === nodeName && commandOf(pid) === 'beam.smp') return pid;
    }
    return undefined;
  };
  const killNow = () => {
    try {
      killTree(tree());
    } catch {
      // a foreign pid in the tree: leave it all alone
    }
  };

  const start = async () => {
    const startedAt = performance.now();
    // Boot errors come before the node's own log file exists: keep the script's output too.
    const out = openSync(join(dir, 'stdout.log'), 'a');
    // Its own process group, so a Ctrl-C to the test runner reaches us (and our exit hook) first.
    child = spawnTracked(server, [], { env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    const current = child;
    const deadline = Date.now() + startTimeoutMs;
    while (!(await acceptsAmqp(url))) {
      if (current.exitCode !== null || current.signalCode !== null || Date.now() > deadline) {
        killNow();
        throw new Error(`private RabbitMQ ${nodeName} did not start:\n${logTail(dir, nodeName)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    startsMs.push(Math.round(performance.now() - startedAt));
  };

  // Waits until every pid of the snapshot is gone: the port programs are their own session leaders
  // and may outlive the script by a moment; a restart needs the ports and the data dir free.
  const gone = async (pids: readonly number[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (pids.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return !pids.some(processAlive);
  };

  const kill = async () => {
    if (!child) return;
    const current = child;
    const pids = tree();
    killTree(pids);
    child = undefined;
    await exited(current);
    await gone(pids, 10_000);
  };

  const shutdown = async (timeoutMs = 30_000) => {
    if (!child) return;
    const current = child;
    const pids = tree();
    // The script traps TERM and stops the node (rabbit also stops cleanly on SIGTERM of beam.smp).
    current.kill('SIGTERM');
    if (!(await gone(pids, timeoutMs))) killTree(pids);
    child = undefined;
    await exited(current);
    await gone(pids, 10_000);
  };

  const ctl = (args: readonly string[]) => {
    if (args.some((a) => a === '-n' || a.startsWith('--node'))) {
      return Promise.reject(new Error('ctl() targets this node only: do not pass -n/--node'));
    }
    return new Promise<string>((resolve, reject) => {
      execFile(ctlScript, ['-n', nodeName, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
        error
          ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || error.message}`))
          : resolve(stdout),
      );
    });
  };

  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const killOne of live) killOne();
    });
  }
  live.add(killNow);
  try {
    await start();
  } catch (error) {
    live.delete(killNow);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodeName,
    port,
    distPort,
    url,
    dir,
    startsMs,
    beamPid,
    kill,
    shutdown,
    ctl,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      live.delete(killNow);
      if (!removed) rmSync(dir, { recursive: true, force: true });
      removed = true;
    },
  };
}
