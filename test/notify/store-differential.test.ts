/** Memory vs Redis NotifyStore under the same seeded operations and manual clocks. */
import { afterAll, describe, it } from 'vitest';
import { createMemoryNotifyStore, type DeliveryStatus, type NotifyStore } from '../../src/notify/index.js';
import { createRedisNotifyStore } from '../../src/notify/redis.js';
import { type DifferentialRandom, runDifferential } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const STATUSES: readonly Exclude<DeliveryStatus, 'sent'>[] = [
  'delivered',
  'deferred',
  'bounced',
  'complained',
  'failed',
];
const WINDOW_MS = 600_000;

type Op =
  | {
      readonly op: 'claim';
      readonly key: number;
      readonly fp: number;
      readonly token: string;
      readonly ttlMs: number;
    }
  | { readonly op: 'complete' | 'release'; readonly key: number; readonly token: string }
  | { readonly op: 'append'; readonly key: number; readonly item: number }
  | { readonly op: 'take'; readonly key: number }
  | { readonly op: 'put'; readonly msg: number }
  | {
      readonly op: 'update';
      readonly msg: number;
      readonly status: Exclude<DeliveryStatus, 'sent'>;
      readonly byProvider: boolean;
    }
  | { readonly op: 'reputation'; readonly sent: number; readonly complained: number }
  | { readonly op: 'advance'; readonly ms: number };

function generate(random: DifferentialRandom, step: number): Op {
  const key = random.int(0, 2);
  const token = `t${random.int(0, step)}`;
  return random.pick<Op>([
    { op: 'claim', key, fp: random.int(0, 1), token: `t${step}`, ttlMs: random.pick([1000, 60_000]) },
    { op: 'complete', key, token },
    { op: 'release', key, token },
    { op: 'append', key, item: step },
    { op: 'take', key },
    { op: 'put', msg: random.int(0, 2) },
    { op: 'update', msg: random.int(0, 2), status: random.pick(STATUSES), byProvider: random.next() < 0.5 },
    { op: 'reputation', sent: random.int(0, 3), complained: random.int(0, 1) },
    { op: 'advance', ms: random.pick([1, 999, 30_000, 400_000]) },
  ]);
}

async function apply(store: NotifyStore, op: Op, clock: { advance(ms: number): void }): Promise<unknown> {
  switch (op.op) {
    case 'claim':
      return store.claimIdempotency({
        key: `k${op.key}`,
        fingerprint: `f${op.fp}`,
        token: op.token,
        ttlMs: op.ttlMs,
      });
    case 'complete':
      return store.completeIdempotency({
        key: `k${op.key}`,
        token: op.token,
        resultJson: `"${op.token}"`,
        ttlMs: 120_000,
      });
    case 'release':
      return store.releaseIdempotency({ key: `k${op.key}`, token: op.token });
    case 'append':
      return store.appendDigest({
        key: `d${op.key}`,
        itemJson: String(op.item),
        maxItems: 3,
        ttlMs: 500_000,
      });
    case 'take':
      return store.takeDigest(`d${op.key}`);
    case 'put':
      await store.putDelivery({
        messageId: `m${op.msg}`,
        channel: 'email',
        provider: 'p',
        providerMessageId: `pm${op.msg}`,
        recipient: 'a@example.com',
        category: 'c',
        ttlMs: 700_000,
      });
      return store.getDelivery({ messageId: `m${op.msg}` });
    case 'update': {
      const ref = op.byProvider
        ? { provider: 'p', providerMessageId: `pm${op.msg}` }
        : { messageId: `m${op.msg}` };
      return store.updateDelivery({ ref, status: op.status, atMs: 1 });
    }
    case 'reputation':
      await store.addReputation({ sent: op.sent, complained: op.complained, windowMs: WINDOW_MS });
      return store.reputation(WINDOW_MS);
    case 'advance':
      clock.advance(op.ms);
      return op.ms;
  }
}

describe.skipIf(noRedis)('NotifyStore: memory and Redis agree', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('notify-diff');
  let n = 0;
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  it('on seeded random claims, digests, records and reputation', async () => {
    await runDifferential<NotifyStore, Op>({
      reference: (clock) => ({ subject: createMemoryNotifyStore({ clock }) }),
      candidate: (clock) => ({
        subject: createRedisNotifyStore({ client: client!, prefix: `${prefix}-${n++}`, clock }),
      }),
      generate,
      apply,
      runs: 30,
      steps: 40,
    });
  }, 60_000);
});
