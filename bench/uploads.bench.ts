/**
 * npm run bench -- uploads
 *
 * UploadPolicy's proxied uploads end to end (issue 13, item 7), as users run them: a `node:http` server
 * in its own process (bench/uploads/server.ts, the built package) streaming request bodies into a
 * throwaway radosgw (bluestore: a 1 GiB object on disk, not in RAM), the bench process as the client
 * sending over loopback. The server's CPU (`process.cpuUsage()`) and peak RSS are its own.
 *
 * 1. A BENCH_UPLOADS_BIG_BYTES (1 GiB) upload through `policy.proxy({ body: req })`, and one through a
 *    plain pipe (the body cut into parts of the same size, UploadPart + CompleteMultipartUpload with
 *    @aws-sdk/client-s3, no checks), each on a fresh server: RSS growth (goal: < 64 MiB), MiB/s.
 * 2. Alternating rounds of BENCH_UPLOADS_ROUND_BYTES (256 MiB): ours, plain, and ours scanned by clamd
 *    (tee to INSTREAM) when clamd is installed; overhead = 1 − ours/plain (goal ≤ 15 %, without clamd).
 * 3. Direct (presign + finalize, the bytes PUT straight to radosgw) vs proxied: server CPU per MiB.
 *
 * Sizes: BENCH_UPLOADS_* (bench/uploads/settings.ts). Results: bench/results/uploads.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { report } from './support/results.js';
import { runUploadsBench } from './uploads/run.js';
import { startBenchServices } from './uploads/services.js';
import { uploadsBenchSettings } from './uploads/settings.js';

const MiB = 1024 * 1024;
const version = (name: string): string =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../node_modules/${name}/package.json`), 'utf8'))
    .version;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const firstLine = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '?';
  } catch {
    return `${command}: not installed`;
  }
};

async function main() {
  const settings = uploadsBenchSettings();
  const size = (bytes: number) => `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 2)} MiB`;
  console.log(
    `uploads bench: Node ${process.version}, @aws-sdk/client-s3 ${version('@aws-sdk/client-s3')}, ` +
      `file-type ${version('file-type')}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n` +
      `${firstLine('radosgw', ['--version'])} (${settings.objectstore}); ${firstLine('clamd', ['--version'])}\n` +
      `big ${size(settings.bigBytes)}; ${settings.rounds} rounds of ${size(settings.roundBytes)}; ` +
      `${settings.files} direct + ${settings.files} proxied files of ${size(settings.fileBytes)}; ` +
      `parts of ${size(settings.partBytes)}; warm-up ${size(settings.warmupBytes)}\nload at start: ${load()}`,
  );
  const started = performance.now();
  const services = await startBenchServices(settings);
  console.log(
    `radosgw up at ${services.radosgw.endpoint}; clamd ${services.clamd ? `on port ${services.clamd.port}, StreamMaxLength ${services.scanMaxBytes}` : `off (${services.clamdNote})`}`,
  );
  try {
    const { rows, verdicts } = await runUploadsBench(services, settings, console.log);
    report('uploads', rows);
    for (const line of verdicts) console.log(line);
  } finally {
    await services.stop();
  }
  console.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s; load at end: ${load()}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
