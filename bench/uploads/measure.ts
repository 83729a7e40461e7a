/**
 * One measured upload through the bench server: the client's wall time (first byte sent to the answer's
 * end), the server's CPU over the request and its peak RSS growth (peak since just before the request −
 * RSS then). After each upload the bucket is emptied, outside the measurement.
 */
import { type Sent, sendBody } from './client.js';
import type { BenchServer } from './server-process.js';
import type { BenchServices } from './services.js';

const MiB = 1024 * 1024;

/** Which way the bytes go. */
export type Side = 'ours' | 'plain' | 'ours+clamd' | 'direct';

/** One upload's figures. */
export interface Measured {
  readonly side: Side;
  readonly sizeBytes: number;
  readonly ms: number;
  readonly mibPerS: number;
  /** Server CPU, user + system, over the whole upload (for `direct`: presign, the client's PUT, finalize). */
  readonly cpuMs: number;
  readonly cpuMsPerMiB: number;
  /** RSS before the upload and its peak growth during it. */
  readonly rssBeforeBytes: number;
  readonly rssGrowthBytes: number;
  /** Proxied and plain: the server's time from the body's last byte to its answer (last part, complete, promote). */
  readonly tailMs: number | undefined;
}

function parsed(sent: Sent, what: string): Record<string, unknown> {
  if (sent.status !== 200) throw new Error(`${what}: HTTP ${sent.status} ${sent.body}`);
  return JSON.parse(sent.body) as Record<string, unknown>;
}

const routes: Record<Exclude<Side, 'direct'>, string> = {
  ours: '/ours',
  plain: '/plain',
  'ours+clamd': '/ours?scan=1',
};

/** The bytes sent to the server (proxied and plain) or to S3 (direct), without measuring. */
async function upload(server: BenchServer, side: Side, sizeBytes: number): Promise<number | undefined> {
  if (side !== 'direct') {
    const route = routes[side];
    const url = `${server.url}${route}${route.includes('?') ? '&' : '?'}size=${sizeBytes}`;
    const sent = await sendBody(url, { method: 'PUT', sizeBytes });
    const answer = parsed(sent, `${side} upload of ${sizeBytes} bytes`);
    if (answer.sizeBytes !== sizeBytes)
      throw new Error(`${side}: stored ${answer.sizeBytes} of ${sizeBytes} bytes`);
    if (side === 'ours+clamd' && answer.scan !== 'clean') throw new Error(`scan verdict ${answer.scan}`);
    return typeof answer.tailMs === 'number' ? answer.tailMs : undefined;
  }
  const start = await sendBody(`${server.url}/direct/start?size=${sizeBytes}`, {
    method: 'POST',
    sizeBytes: 0,
  });
  const ticket = parsed(start, 'startDirect') as {
    uploadId: string;
    url: string;
    headers: Record<string, string>;
  };
  const { 'content-length': _signed, ...headers } = ticket.headers;
  const put = await sendBody(ticket.url, { method: 'PUT', headers, sizeBytes });
  if (put.status !== 200) throw new Error(`direct PUT to S3: HTTP ${put.status} ${put.body}`);
  const id = encodeURIComponent(ticket.uploadId);
  const file = parsed(
    await sendBody(`${server.url}/direct/finalize?id=${id}`, { method: 'POST', sizeBytes: 0 }),
    'finalize',
  );
  if (file.sizeBytes !== sizeBytes)
    throw new Error(`direct: finalized ${file.sizeBytes} of ${sizeBytes} bytes`);
}

/** Uploads `sizeBytes` one way and measures it; empties the bucket afterwards. */
export async function measureUpload(
  services: BenchServices,
  server: BenchServer,
  side: Side,
  sizeBytes: number,
): Promise<Measured> {
  const before = await server.resetPeak();
  const started = performance.now();
  const tailMs = await upload(server, side, sizeBytes);
  const ms = performance.now() - started;
  const after = await server.stats();
  await services.empty();
  const cpuMs = (after.cpuUs - before.cpuUs) / 1000;
  return {
    side,
    sizeBytes,
    ms,
    mibPerS: sizeBytes / MiB / (ms / 1000),
    cpuMs,
    cpuMsPerMiB: cpuMs / (sizeBytes / MiB),
    rssBeforeBytes: before.rssBytes,
    rssGrowthBytes: Math.max(0, after.peakRssBytes - before.rssBytes),
    tailMs,
  };
}

/** One line about a measurement, for the log. */
export function describe(m: Measured): string {
  return (
    `${m.side}: ${(m.sizeBytes / MiB).toFixed(1)} MiB in ${(m.ms / 1000).toFixed(2)} s = ${m.mibPerS.toFixed(1)} MiB/s, ` +
    `server CPU ${m.cpuMs.toFixed(0)} ms (${m.cpuMsPerMiB.toFixed(2)} ms/MiB), RSS ${(m.rssBeforeBytes / MiB).toFixed(0)} MiB ` +
    `+ ${(m.rssGrowthBytes / MiB).toFixed(1)} MiB peak` +
    (m.tailMs === undefined ? '' : `, ${m.tailMs.toFixed(0)} ms after the last byte`)
  );
}
