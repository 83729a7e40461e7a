/**
 * npm run bench -- notify
 *
 * Two cases against one local SMTP server (smtp-server in a child process on 127.0.0.1, auth off,
 * counting and discarding every message; bench/notify/sink-process.ts):
 *
 * 1. Render + hand to SMTP: an order receipt (HTML layout + partials + subject, text part given as its
 *    own template) through ours (createNotifier + createSmtpProvider, memory store, no rate limit,
 *    transactional) vs plain nodemailer with the same handlebars sources compiled once; the same pooled
 *    transport settings, data and concurrency; rounds alternate ours, plain, ...; the ratio is the
 *    median of the per-round ratios. Goal: overhead at most 10 %.
 * 2. Digest vs real-time: E comment events for R recipients, one message per event or one digest per
 *    recipient (window jumped by the manual clock): delivered events and messages per second, provider
 *    calls per event, events absorbed per second.
 *
 * Sizes: BENCH_NOTIFY_* (bench/notify/settings.ts). Results: bench/results/notify.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { loadBuilt } from './notify/built.js';
import { activityBench, type DigestFigures, digestRounds, WINDOW_MS } from './notify/digest.js';
import { oursSender, plainSender, type RenderRun, renderRounds } from './notify/render.js';
import { notifyBenchSettings } from './notify/settings.js';
import { startSmtpSink } from './notify/sink.js';
import { type BenchRow, compareRounds, report } from './support/results.js';

const version = (name: string): string =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../node_modules/${name}/package.json`), 'utf8'))
    .version;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

function digestRows(figures: Map<string, DigestFigures[]>, events: number, recipients: number): BenchRow[] {
  const side = (mode: string, key: keyof DigestFigures) => (figures.get(mode) ?? []).map((f) => f[key]);
  const name = `digest vs real-time, ${events} events / ${recipients} recipients`;
  const row = (label: string, unit: string, key: keyof DigestFigures, lower = false) =>
    compareRounds(
      `${name}: ${label}`,
      unit,
      lower ? 'lower-is-better' : 'higher-is-better',
      side('digest', key),
      side('real-time', key),
      'real-time (ours)',
    );
  return [
    row('events delivered/s (end to end)', 'events/s', 'eventsPerSec'),
    row('messages delivered/s (end to end)', 'messages/s', 'messagesPerSec'),
    row('provider calls per event', 'calls/event', 'callsPerEvent', true),
    row('events absorbed/s (send returned)', 'events/s', 'absorbedPerSec'),
  ];
}

async function main() {
  const settings = notifyBenchSettings();
  const { render, digest } = settings;
  console.log(
    `notify bench: Node ${process.version}, nodemailer ${version('nodemailer')}, smtp-server ${version('smtp-server')}, ` +
      `handlebars ${version('handlebars')}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n` +
      `render: ${render.messages} messages × ${render.rounds} rounds per side (ABAB) after ${render.warmup} warm-up, ` +
      `${render.concurrency} in flight; digest: ${digest.events} events / ${digest.recipients} recipients × ` +
      `${digest.rounds} rounds per mode, window ${WINDOW_MS} ms on the manual clock\nload at start: ${load()}`,
  );
  const sink = await startSmtpSink();
  const built = await loadBuilt();
  try {
    const senders = [oursSender(built, sink.port), plainSender(sink.port)];
    const runs = await renderRounds(sink, senders, render, console.log);
    for (const sender of senders) await sender.close();
    const bench = activityBench(built, sink.port, digest.concurrency);
    const figures = await digestRounds(bench, sink, digest, console.log);
    await bench.close();

    const side = (name: 'ours' | 'plain', key: keyof RenderRun) => (runs.get(name) ?? []).map((r) => r[key]);
    const peer = `nodemailer ${version('nodemailer')} + handlebars ${version('handlebars')}`;
    const renderCase = `render + hand to SMTP, ${render.messages} receipts, ${render.concurrency} in flight`;
    const renderRow = compareRounds(
      renderCase,
      'messages/s',
      'higher-is-better',
      side('ours', 'perSec'),
      side('plain', 'perSec'),
      peer,
    );
    const cpuRow = compareRounds(
      `${renderCase}: sender CPU per message`,
      'µs/message',
      'lower-is-better',
      side('ours', 'cpuUsPerMessage'),
      side('plain', 'cpuUsPerMessage'),
      peer,
    );
    report('notify', [renderRow, cpuRow, ...digestRows(figures, digest.events, digest.recipients)]);
    const overhead = (ratio: number | null) => (ratio === null ? Number.NaN : (1 / ratio - 1) * 100);
    const throughputOverhead = overhead(renderRow.ratio);
    console.log(
      `target: overhead vs plain nodemailer <= 10%: ${throughputOverhead <= 10 ? 'met' : 'NOT met'} ` +
        `(${throughputOverhead.toFixed(1)}% in messages/s, median of per-round ratios ${renderRow.ratio}x; ` +
        `${overhead(cpuRow.ratio).toFixed(1)}% in sender CPU per message); ` +
        `server received ${(await sink.counts()).messages} messages in all`,
    );
    console.log(`load at end: ${load()}`);
  } finally {
    await sink.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
