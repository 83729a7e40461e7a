/**
 * Case "digest vs real-time": E comment events for R recipients through one notifier (SMTP provider,
 * memory store, a memory JobQueue and its worker, all on one manual clock), either sent at once (one
 * message per event) or digested (the template has a digest window). The manual clock jumps the window:
 * a digest's wait is a latency chosen by the app, not work, so end to end here is the work from the first
 * event to the last digest accepted by the server. Provider calls are counted by a wrapper around the
 * SMTP provider; the sink's count must agree.
 */
import type { EmailMessage, Notifier, NotifyProvider } from '../../src/notify/index.js';
import { type Built, runConcurrent, transportOptions } from './built.js';
import { ACTIVITY, ACTIVITY_DIGEST, activityData, FROM, LAYOUTS, recipient } from './content.js';
import type { SmtpSink } from './sink.js';

/** The digest window (on the manual clock). */
export const WINDOW_MS = 60_000;

/** Counts provider calls, and resolves a wait once `target` calls have ended. */
function countingProvider(inner: NotifyProvider<EmailMessage>) {
  let calls = 0;
  let ended = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  const provider: NotifyProvider<EmailMessage> = {
    name: inner.name,
    channel: inner.channel,
    idempotent: inner.idempotent,
    async send(message, context) {
      calls += 1;
      try {
        return await inner.send(message, context);
      } finally {
        ended += 1;
        if (waiter && ended >= waiter.target) waiter.resolve();
      }
    },
    close: async () => inner.close?.(),
  };
  return {
    provider,
    calls: () => calls,
    /** Resolves once `target` calls (since the start) have ended. */
    untilEnded: (target: number) =>
      new Promise<void>((resolve) => {
        if (ended >= target) resolve();
        else waiter = { target, resolve };
      }),
  };
}

/** Sizes of the digest case. */
export interface DigestSettings {
  readonly events: number;
  readonly recipients: number;
  readonly rounds: number;
  readonly concurrency: number;
}

/** One round of one mode. */
export interface DigestFigures {
  /** Events covered by delivered messages per second, first event to last message accepted. */
  readonly eventsPerSec: number;
  /** Messages the server accepted per second, over the same span. */
  readonly messagesPerSec: number;
  readonly callsPerEvent: number;
  /** Events per second that `send` took in (returned for), before any digest was flushed. */
  readonly absorbedPerSec: number;
  readonly messages: number;
}

export type Mode = 'real-time' | 'digest';

/** The notifier of the digest case, with its clock, queue, worker and counters. */
export function activityBench(built: Built, port: number, concurrency: number) {
  const clock = built.testing.createManualClock(Date.UTC(2026, 0, 5, 12));
  const counter = countingProvider(built.smtp.createSmtpProvider({ smtp: transportOptions(port) }));
  const queue = built.jobs.createJobQueue({ name: 'notify-bench', clock });
  const notifier: Notifier = built.notify.createNotifier({
    channels: { email: { providers: [counter.provider], from: FROM } },
    categories: { activity: 'transactional' },
    layouts: LAYOUTS,
    templates: {
      comment: { category: 'activity', ...ACTIVITY },
      'comment-digested': {
        category: 'activity',
        ...ACTIVITY,
        digest: { windowMs: WINDOW_MS, template: 'comments-digest', maxItems: 100 },
      },
      'comments-digest': { category: 'activity', ...ACTIVITY_DIGEST },
    },
    queue,
    clock,
  });
  const errors: unknown[] = [];
  const worker = notifier.startWorker({ concurrency, sampleIntervalMs: 0, onError: (e) => errors.push(e) });
  return {
    clock,
    queue,
    notifier,
    counter,
    errors,
    async close() {
      await worker.close();
      await queue.close();
      await counter.provider.close?.();
    },
  };
}

type ActivityBench = ReturnType<typeof activityBench>;

/** Waits (real time) until the queue holds no job: the flushes of this round have all completed. */
async function drained(bench: ActivityBench) {
  for (;;) {
    const c = await bench.queue.counts();
    if (c.ready + c.delayed + c.active === 0) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Runs one round of `mode`: E events; checks the provider calls and the sink's count. */
export async function digestRound(
  bench: ActivityBench,
  sink: SmtpSink,
  mode: Mode,
  tag: string,
  s: DigestSettings,
): Promise<DigestFigures> {
  const expected = mode === 'digest' ? Math.min(s.recipients, s.events) : s.events;
  const calls0 = bench.counter.calls();
  const sink0 = (await sink.counts()).messages;
  const started = performance.now();
  const template = mode === 'digest' ? 'comment-digested' : 'comment';
  const want = mode === 'digest' ? 'queued' : 'sent';
  const absorbMs = await runConcurrent(s.events, s.concurrency, async (i) => {
    const result = await bench.notifier.send({
      to: recipient(i % s.recipients),
      template,
      data: activityData(i),
      idempotencyKey: `${mode}:${tag}:${i}`,
    });
    const status = result.channels[0]?.status;
    if (status !== want) throw new Error(`${mode}: event ${i} was ${status}, not ${want}`);
  });
  if (mode === 'digest') bench.clock.advance(WINDOW_MS);
  await bench.counter.untilEnded(calls0 + expected);
  const ms = performance.now() - started;
  await drained(bench);
  const calls = bench.counter.calls() - calls0;
  const messages = (await sink.counts()).messages - sink0;
  if (bench.errors.length > 0) throw new Error(`${mode}: the worker failed: ${String(bench.errors[0])}`);
  if (calls !== expected || messages !== expected) {
    throw new Error(
      `${mode}: expected ${expected} messages, ${calls} provider calls, the server got ${messages}`,
    );
  }
  return {
    eventsPerSec: (s.events / ms) * 1000,
    messagesPerSec: (messages / ms) * 1000,
    callsPerEvent: calls / s.events,
    absorbedPerSec: (s.events / absorbMs) * 1000,
    messages,
  };
}

/** Alternating rounds (real-time, digest, real-time, ...), after one small warm-up round of each. */
export async function digestRounds(
  bench: ActivityBench,
  sink: SmtpSink,
  s: DigestSettings,
  log: (line: string) => void = () => {},
): Promise<Map<Mode, DigestFigures[]>> {
  const modes: Mode[] = ['real-time', 'digest'];
  const warmup = { ...s, events: Math.min(s.events, 200) };
  for (const mode of modes) await digestRound(bench, sink, mode, 'warmup', warmup);
  const figures = new Map<Mode, DigestFigures[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < s.rounds; round++) {
    const line: string[] = [];
    for (const mode of modes) {
      const f = await digestRound(bench, sink, mode, `round${round}`, s);
      figures.get(mode)?.push(f);
      line.push(
        `${mode} ${f.eventsPerSec.toFixed(0)} events/s, ${f.messagesPerSec.toFixed(0)} msg/s, ` +
          `${f.callsPerEvent.toFixed(3)} calls/event, absorbed ${f.absorbedPerSec.toFixed(0)}/s`,
      );
    }
    log(`digest round ${round + 1}/${s.rounds}: ${line.join('; ')}`);
  }
  return figures;
}
