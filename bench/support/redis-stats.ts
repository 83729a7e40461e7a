/**
 * Redis-side cost figures for benchmarks, read from INFO by a client of the benchmark's own (not the one
 * under test): the server's CPU time and its command statistics. The benches run a private redis-server,
 * so these see only the benchmark's traffic.
 */
import type { Redis } from 'ioredis';

/** Command statistics since the last CONFIG RESETSTAT (or the server's start). */
export interface CommandStats {
  /** EVALSHA + EVAL calls: the script calls the clients sent. */
  readonly scriptCalls: number;
  /** Commands executed, including those called inside Lua; INFO and CONFIG RESETSTAT left out. */
  readonly executed: number;
  /** Time spent in EVALSHA + EVAL, µs. */
  readonly scriptUsec: number;
}

/** Reads INFO commandstats. */
export async function commandStats(client: Redis): Promise<CommandStats> {
  const info = await client.info('commandstats');
  let scriptCalls = 0;
  let executed = 0;
  let scriptUsec = 0;
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/gm)) {
    const [, name, calls, usec] = match;
    // The statistics reader's own commands are not the benchmark's.
    if (name === 'info' || name === 'config|resetstat') continue;
    executed += Number(calls);
    if (name === 'evalsha' || name === 'eval') {
      scriptCalls += Number(calls);
      scriptUsec += Number(usec);
    }
  }
  return { scriptCalls, executed, scriptUsec };
}

/** The server's CPU time so far (used_cpu_user + used_cpu_sys), µs. */
export async function redisCpuUs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const total = seconds('used_cpu_user') + seconds('used_cpu_sys');
  if (!Number.isFinite(total)) throw new Error(`INFO cpu without used_cpu_user/used_cpu_sys:\n${info}`);
  return total * 1e6;
}
