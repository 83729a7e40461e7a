/**
 * The notify bench's moving parts on tiny sizes, without measuring anything: the settings, the SMTP sink
 * (counting, draining big and dot-stuffed messages, surviving garbage), and both cases' helpers, whose
 * message and provider-call counts are checked. The figures themselves come only from `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Built, loadBuilt, runConcurrent, transportOptions } from '../../bench/notify/built.js';
import { activityBench, digestRounds } from '../../bench/notify/digest.js';
import { oursSender, plainSender, renderRounds } from '../../bench/notify/render.js';
import { notifyBenchSettings } from '../../bench/notify/settings.js';
import { type SmtpSink, startSmtpSink } from '../../bench/notify/sink.js';
import { useEnvPrefix } from '../support/env.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('settings', () => {
  const { clear } = useEnvPrefix('BENCH_NOTIFY_');

  it('defaults to 2000 messages, 5 rounds, 16 in flight, 2000 events over 100 recipients', () => {
    clear();
    expect(notifyBenchSettings()).toEqual({
      render: { messages: 2000, warmup: 1000, rounds: 5, concurrency: 16 },
      digest: { events: 2000, recipients: 100, rounds: 5, concurrency: 16 },
    });
  });

  it.each([
    ['BENCH_NOTIFY_MESSAGES', 'lots'],
    ['BENCH_NOTIFY_MESSAGES', '0'],
    ['BENCH_NOTIFY_ROUNDS', '-1'],
    ['BENCH_NOTIFY_CONCURRENCY', '1.5'],
    ['BENCH_NOTIFY_EVENTS', 'Infinity'],
    ['BENCH_NOTIFY_RECIPIENTS', '1e400'],
    ['BENCH_NOTIFY_WARMUP', '5; rm -rf /'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => notifyBenchSettings()).toThrow(new RegExp(`${name} must be an integer`));
  });
});

describe('runConcurrent', () => {
  it('runs every index once with at most `concurrency` in flight, and passes a failure on', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;
    await runConcurrent(25, 4, async (i) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(i);
      inFlight -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(most).toBe(4);
    await expect(
      runConcurrent(5, 2, async (i) => {
        if (i === 3) throw new Error('task 3 failed');
      }),
    ).rejects.toThrow('task 3 failed');
  });
});

describe('the bench against its SMTP sink', () => {
  let sink: SmtpSink;
  let built: Built;
  beforeAll(async () => {
    // The helpers run the built package, as npm run bench does: dist must be current.
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
    built = await loadBuilt();
    sink = await startSmtpSink();
  }, 120_000);
  afterAll(async () => {
    await sink?.stop();
  });

  it('drains and counts a 1 MB message with dot-stuffed lines; garbage and a bare QUIT count no message', async () => {
    const before = await sink.counts();
    const transport = createTransport({ ...transportOptions(sink.port), pool: false });
    const body = `${'.leading dot\r\n..two dots\r\n'.repeat(40_000)}end\r\n`;
    await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'big', text: body });
    transport.close();
    await new Promise<void>((done, fail) => {
      const socket = connect(sink.port, '127.0.0.1');
      // After the greeting (a client that talks first is dropped before it counts as a connection).
      socket.once('data', () => {
        socket.write('EHLO x\r\nMAIL FROM:<nobody\r\nDATA\r\n\u0000\u00ff\r\nAUTH PLAIN AAAA\r\nQUIT\r\n');
        socket.on('data', () => {});
      });
      socket.on('close', () => done());
      socket.on('error', fail);
    });
    const after = await sink.counts();
    expect(after.messages - before.messages).toBe(1);
    expect(after.bytes - before.bytes).toBeGreaterThan(body.length);
    expect({ connections: after.connections - before.connections }).toEqual({ connections: 2 });
  });

  it('render case: both sides send every message of the warm-up and of each round, the sink agrees', async () => {
    const before = (await sink.counts()).messages;
    const senders = [oursSender(built, sink.port), plainSender(sink.port)];
    try {
      const runs = await renderRounds(sink, senders, { messages: 6, warmup: 2, rounds: 2, concurrency: 3 });
      expect([...runs.keys()]).toEqual(['ours', 'plain']);
      expect(runs.get('ours')).toHaveLength(2);
      expect(runs.get('plain')).toHaveLength(2);
      for (const run of [...runs.values()].flat()) expect(run.cpuUsPerMessage).toBeGreaterThan(0);
    } finally {
      for (const sender of senders) await sender.close();
    }
    expect((await sink.counts()).messages - before).toBe(2 * (2 + 2 * 6));
  });

  it('ours refuses a hostile recipient with a typed error and sends nothing', async () => {
    const before = (await sink.counts()).messages;
    const notifier = built.notify.createNotifier({
      channels: {
        email: {
          providers: [built.smtp.createSmtpProvider({ smtp: transportOptions(sink.port) })],
          from: { address: 'shop@example.com' },
        },
      },
      categories: { transactional: 'transactional' },
      templates: { receipt: { email: { subject: 'Hi {{name}}', text: 'x' } } },
    });
    await expect(
      notifier.send({
        to: { userId: 'u1', email: 'a@example.com\r\nBcc: all@example.com' },
        template: 'receipt',
        data: { name: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_NOTIFY_HEADER_INJECTION' });
    await expect(
      notifier.send({
        to: { userId: 'u1', email: '"a b"@[127.0.0.1]' },
        template: 'receipt',
        data: { name: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_NOTIFY_INVALID_RECIPIENT' });
    await expect(
      notifier.send({
        to: { userId: 'u1', email: 'a@example.com' },
        template: 'receipt',
        data: { name: 'x\r\nBcc: y' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_NOTIFY_HEADER_INJECTION' });
    expect((await sink.counts()).messages).toBe(before);
  });

  it('digest case: real-time makes one call per event, digests one per recipient; the sink agrees', async () => {
    const before = (await sink.counts()).messages;
    const bench = activityBench(built, sink.port, 3);
    try {
      const figures = await digestRounds(bench, sink, {
        events: 12,
        recipients: 4,
        rounds: 2,
        concurrency: 3,
      });
      expect(figures.get('real-time')?.map((f) => [f.messages, f.callsPerEvent])).toEqual([
        [12, 1],
        [12, 1],
      ]);
      expect(figures.get('digest')?.map((f) => [f.messages, f.callsPerEvent])).toEqual([
        [4, 4 / 12],
        [4, 4 / 12],
      ]);
      expect(bench.errors).toEqual([]);
    } finally {
      await bench.close();
    }
    // A warm-up round of each mode (12 + 4 messages), then two measured rounds of each.
    expect((await sink.counts()).messages - before).toBe(3 * (12 + 4));
  });
});
