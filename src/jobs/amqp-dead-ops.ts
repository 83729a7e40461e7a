/**
 * The dead-letter queue `P.N.dead` of the RabbitMQ backend. Listing browses it: `basic.get` without
 * ack on a channel of its own, then closing the channel, which hands the messages back in order.
 * Redrive republishes a job to the work queue with a fresh budget, waits for the confirm, then acks its
 * dead copy. Jobs dead-lettered by the broker (over `x-delivery-limit`, or not ours) get a history
 * entry saying so when read.
 */
import { createHash } from 'node:crypto';
import type { Channel, GetMessage } from 'amqplib';
import { appendHistory, decodeJob, encodeJob, foreignRecord } from './amqp-codec.js';
import type { AmqpContext } from './amqp-context.js';
import type { JobBackend, JobError, JobRecord } from './types.js';

/**
 * Most messages one browse gets (each is a round trip). A listing gets the whole queue up to this
 * bound, not just offset + limit: messages handed back by a closed channel go behind those handed back
 * before, so only a browse of everything keeps the order for the next one.
 */
const MAX_BROWSE = 10_000;

/** When the broker dead-lettered `m` (its first `x-death` entry), in ms. */
function deathTimeMs(m: GetMessage): number | undefined {
  const deaths: unknown = m.properties.headers?.['x-death'];
  const first: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  const time = (first as { time?: unknown } | undefined)?.time;
  const seconds = typeof time === 'object' && time !== null ? (time as { value?: unknown }).value : time;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function deathReason(m: GetMessage): string {
  const reason = m.properties.headers?.['x-first-death-reason'];
  return typeof reason === 'string' ? reason : 'unknown';
}

/** A stable id for a message that has none of ours: its own message id, else a digest of its body. */
function foreignId(m: GetMessage): string {
  const own = m.properties.messageId;
  if (typeof own === 'string' && own.length > 0 && own.length <= 200) return own;
  return `unreadable-${createHash('sha256').update(m.content).digest('hex').slice(0, 16)}`;
}

/** The dead job a DLQ message stands for. */
export function deadRecord(m: GetMessage, nowMs: number): JobRecord {
  const diedAtMs = deathTimeMs(m) ?? nowMs;
  const decoded = decodeJob(m.content);
  if (!decoded.ok) return foreignRecord(foreignId(m), m.content, decoded.reason, diedAtMs);
  const job = decoded.job;
  if (job.state === 'dead') return job;
  // Dead-lettered by the broker, so the body is the job as it was queued.
  const reason = deathReason(m);
  const error: JobError =
    reason === 'delivery_limit'
      ? {
          name: 'DeliveryLimitExceeded',
          message:
            "delivered more often than the queue's `x-delivery-limit` without a result (workers crashed, lost their connection or released it)",
        }
      : { name: 'DeadLettered', message: `dead-lettered by the broker (${reason})` };
  const entry = { attempt: job.attemptsMade + 1, startedAtMs: diedAtMs, endedAtMs: diedAtMs, error };
  return {
    ...job,
    state: 'dead',
    attemptsMade: job.attemptsMade + 1,
    history: appendHistory(job.history, entry),
    error,
    finishedAtMs: diedAtMs,
  };
}

/** Runs `body` on a channel of its own, then hands back what it got and did not ack. */
async function browsing<T>(ctx: AmqpContext, body: (channel: Channel) => Promise<T>): Promise<T> {
  const { channel } = await ctx.conn.channel();
  try {
    const result = await body(channel);
    // Handed back explicitly, then a round trip: a close alone returns them later, so a count or a
    // browse right after would miss them.
    channel.nackAll(true);
    await channel.prefetch(0);
    return result;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** The body a redriven message is republished with: a fresh budget, its history kept. */
function redriveBody(m: GetMessage, record: JobRecord, nowMs: number): Buffer {
  const decoded = decodeJob(m.content);
  if (!decoded.ok) return m.content; // not ours: it goes back as it came, and is dead-lettered again
  const { finishedAtMs: _finished, ...job } = record;
  return encodeJob({ ...job, state: 'ready', attemptsMade: 0, readyAtMs: nowMs });
}

type DeadOps = Pick<JobBackend, 'listDead' | 'redrive' | 'purgeDead'>;

/** listDead, redrive, purgeDead. */
export function amqpDeadOps(ctx: AmqpContext): DeadOps {
  return {
    async listDead(queue, { offset, limit }) {
      const t = await ctx.declared(queue);
      return browsing(ctx, async (channel) => {
        const records: JobRecord[] = [];
        for (let i = 0; i < MAX_BROWSE; i++) {
          const m = await channel.get(t.dead, { noAck: false });
          if (m === false) break;
          if (i >= offset && i < offset + limit) records.push(deadRecord(m, ctx.clock.now()));
        }
        return records;
      });
    },
    async redrive(queue, ids) {
      if (ids.length === 0) return 0;
      const t = await ctx.declared(queue);
      const wanted = new Set(ids);
      return browsing(ctx, async (channel) => {
        const { messageCount } = await channel.checkQueue(t.dead);
        let moved = 0;
        let stopped = false;
        // Scans to the end even when all were found, to keep the order of the rest (see MAX_BROWSE).
        for (let i = 0; i < Math.min(messageCount, MAX_BROWSE); i++) {
          const m = await channel.get(t.dead, { noAck: false });
          if (m === false) break;
          const nowMs = ctx.clock.now();
          const record = deadRecord(m, nowMs);
          if (!wanted.delete(record.id) || stopped) continue;
          const body = redriveBody(m, record, nowMs);
          // A full work queue refuses it: move no more, the rest stays dead (the caller sees the count).
          if ((await ctx.publish({ queue: t.main, messageId: record.id, body })) !== 'ack') {
            stopped = true;
            continue;
          }
          channel.ack(m);
          moved++;
        }
        return moved;
      });
    },
    async purgeDead(queue, limit) {
      const t = await ctx.declared(queue);
      return browsing(ctx, async (channel) => {
        let purged = 0;
        while (purged < limit && (await channel.get(t.dead, { noAck: true })) !== false) purged++;
        return purged;
      });
    },
  };
}
