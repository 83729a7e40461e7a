/**
 * clamd for the test run: the `ServiceSpec` the global setup probes (`CLAMD_URL`, `tcp://host:port`,
 * probe `zPING` → `PONG`). The default URL answers nothing, so without `CLAMD_URL` the run starts its own
 * clamd (~0.1 s, ~16 MiB) on the tests' signature database: a system clamd would carry the official
 * database, whose EICAR signature has another name, and its own limits.
 */
import { clamdMissing, pingClamd, startClamd } from './clamd.js';
import type { ServiceSpec } from './services.js';

/** Host and port of a `tcp://host:port` URL; undefined when malformed. */
export function parseClamdUrl(url: string): { host: string; port: number } | undefined {
  try {
    const parsed = new URL(url);
    const port = Number(parsed.port);
    if (parsed.protocol !== 'tcp:' || !parsed.hostname || !Number.isInteger(port) || port <= 0)
      return undefined;
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** True when clamd at `url` answers PING with PONG. */
export async function probeClamd(url: string, timeoutMs = 1000): Promise<boolean> {
  const target = parseClamdUrl(url);
  return target ? pingClamd(target, timeoutMs) : false;
}

export const clamdService: ServiceSpec = {
  name: 'clamd',
  envVar: 'CLAMD_URL',
  // Port 1 answers nothing: without CLAMD_URL the run gets a clamd on the tests' own database.
  defaultUrl: 'tcp://127.0.0.1:1',
  probe: (url) => probeClamd(url),
  async startThrowaway() {
    if (clamdMissing()) return undefined;
    // The global setup swallows a throwaway's error: say here why clamd did not start (log tail).
    const clamd = await startClamd().catch((error: unknown) => {
      console.warn(`[services] clamd: the throwaway clamd failed: ${(error as Error).message}`);
      throw error;
    });
    return { url: `tcp://${clamd.host}:${clamd.port}`, stop: () => clamd.stop() };
  },
  installHint: 'install ClamAV (apt-get install clamav-daemon clamav) or set CLAMD_URL=tcp://host:port',
};
