/**
 * Preferences and opt-outs, transactional vs promotional, signed unsubscribe tokens (tampered, expired,
 * wrong key, rotation), List-Unsubscribe headers, the suppression list fed by events, and the automatic
 * pause of promotional email when complaints rise.
 */
import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/manual-clock.js';
import { createNotifier, createOutbox, type NotifierOptions } from '../../src/notify/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { FROM, newClock, rejection, UNSUBSCRIBE_KEY } from './fixtures.js';

const to = { userId: 'u1', email: 'ada@example.com', phone: '+14155550100' };

function build(clock: ManualClock, extra: Partial<NotifierOptions> = {}) {
  const outbox = createOutbox();
  const metrics = createMemoryMetrics();
  const notifier = createNotifier({
    channels: { email: { providers: [outbox.email], from: FROM }, sms: { providers: [outbox.sms] } },
    categories: { security: 'transactional', news: 'promotional', tips: 'promotional' },
    templates: {
      reset: {
        category: 'security',
        email: { subject: 'Reset', text: 'Reset' },
        sms: { text: 'Reset code' },
      },
      news: {
        category: 'news',
        email: { subject: 'News', html: '<p>News</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' },
        sms: { text: 'News' },
      },
    },
    unsubscribe: {
      keys: [UNSUBSCRIBE_KEY],
      url: 'https://example.com/unsubscribe',
      mailto: 'unsub@example.com',
      tokenTtlMs: 86_400_000,
    },
    clock,
    metrics,
    ...extra,
  });
  return { outbox, notifier, metrics };
}

const statuses = (r: { channels: readonly { status: string; reason?: string }[] }) =>
  r.channels.map((c) => `${c.status}${'reason' in c && c.reason ? `:${c.reason}` : ''}`);

describe('preferences', () => {
  it('an opt-out of a promotional category on one channel skips that channel only', async () => {
    const { notifier, outbox } = build(newClock());
    await notifier.setPreference({ userId: 'u1', channel: 'sms', category: 'news', optedOut: true });
    expect(statuses(await notifier.send({ to, template: 'news' }))).toEqual(['sent', 'skipped:opted-out']);
    expect(outbox.messages.map((m) => m.message.channel)).toEqual(['email']);
  });

  it('the most specific preference wins (channel+category over *)', async () => {
    const { notifier } = build(newClock());
    await notifier.setPreference({ userId: 'u1', channel: '*', category: '*', optedOut: true });
    await notifier.setPreference({ userId: 'u1', channel: 'email', category: 'news', optedOut: false });
    expect(statuses(await notifier.send({ to, template: 'news' }))).toEqual(['sent', 'skipped:opted-out']);
  });

  it('transactional categories ignore opt-outs', async () => {
    const { notifier } = build(newClock());
    await notifier.setPreference({ userId: 'u1', channel: '*', category: '*', optedOut: true });
    expect(statuses(await notifier.send({ to, template: 'reset' }))).toEqual(['sent', 'sent']);
  });

  it('refuses unknown categories and channels', async () => {
    const { notifier } = build(newClock());
    expect(
      await rejection(() =>
        notifier.setPreference({ userId: 'u1', channel: 'email', category: 'nope', optedOut: true }),
      ),
    ).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await rejection(() => notifier.send({ to, template: 'news', category: 'nope' }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(
      await rejection(() => notifier.send({ to, template: 'news', category: '__proto__' })),
    ).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('unsubscribe', () => {
  it('promotional mail carries List-Unsubscribe (https and mailto) and the RFC 8058 one-click header; transactional does not', async () => {
    const { notifier, outbox } = build(newClock());
    await notifier.send({ to, template: 'news', channels: ['email'] });
    await notifier.send({ to, template: 'reset', channels: ['email'] });
    const [news, reset] = outbox.messages.map((m) => m.message);
    if (news?.channel !== 'email' || reset?.channel !== 'email') throw new Error('emails expected');
    expect(news.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/example\.com\/unsubscribe\?token=v1\.k1\.[^>]+>, <mailto:unsub@example\.com\?subject=unsubscribe%20v1\.k1\.[^>]+>$/,
    );
    expect(news.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    // handlebars escapes `=` in attributes (&#x3D;), which browsers decode
    expect(news.html).toContain('href="https://example.com/unsubscribe?token&#x3D;v1.k1.');
    expect(news.text).toContain('Unsubscribe (https://example.com/unsubscribe?token=');
    expect(reset.headers).toEqual({});
  });

  it('the one-click POST opts the user out of that category, and the next promotional mail is skipped', async () => {
    const { notifier, outbox } = build(newClock());
    await notifier.send({ to, template: 'news', channels: ['email'] });
    const first = outbox.messages[0]?.message;
    if (first?.channel !== 'email') throw new Error('email expected');
    const token =
      new URL(/<(https:[^>]+)>/.exec(first.headers['List-Unsubscribe'] ?? '')?.[1] ?? '').searchParams.get(
        'token',
      ) ?? '';
    expect(await notifier.handleUnsubscribe(token)).toMatchObject({
      userId: 'u1',
      channel: 'email',
      category: 'news',
    });
    expect(statuses(await notifier.send({ to, template: 'news' }))).toEqual(['skipped:opted-out', 'sent']);
    expect(statuses(await notifier.send({ to, template: 'reset' }))).toEqual(['sent', 'sent']);
  });

  it('refuses tampered, truncated, foreign, wrong-key and expired tokens with typed errors', async () => {
    const clock = newClock();
    const { notifier } = build(clock);
    const token = notifier.unsubscribeToken({ userId: 'u1', channel: 'email', category: 'news' });
    const [v, kid, payload, sig] = token.split('.') as [string, string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ u: 'admin', c: '*', k: 'news', e: clock.now() + 1e9 }),
    ).toString('base64url');
    const flipped = `${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`;
    for (const bad of [
      `${v}.${kid}.${forged}.${sig}`,
      `${v}.${kid}.${payload}.${flipped}`,
      `${v}.${kid}.${payload}`,
      'garbage',
      '',
      `${v}.k9.${payload}.${sig}`,
      `v2.${kid}.${payload}.${sig}`,
      'a'.repeat(5000),
    ]) {
      expect(await rejection(() => notifier.handleUnsubscribe(bad))).toMatchObject({
        code: 'ERR_NOTIFY_UNSUBSCRIBE_INVALID',
      });
    }
    expect(await rejection(() => notifier.handleUnsubscribe(42 as unknown as string))).toMatchObject({
      code: 'ERR_NOTIFY_UNSUBSCRIBE_INVALID',
    });
    const otherKey = build(clock, {
      unsubscribe: { keys: [{ id: 'k1', secret: new Uint8Array(32).fill(9) }], url: 'https://example.com/u' },
    });
    expect(await rejection(() => otherKey.notifier.handleUnsubscribe(token))).toMatchObject({
      code: 'ERR_NOTIFY_UNSUBSCRIBE_INVALID',
    });
    clock.advance(86_400_000);
    expect(await rejection(() => notifier.handleUnsubscribe(token))).toMatchObject({
      code: 'ERR_NOTIFY_UNSUBSCRIBE_EXPIRED',
    });
    expect(await notifier.getPreferences('u1')).toEqual([]);
    expect(await notifier.getPreferences('admin')).toEqual([]);
  });

  it('key rotation: a token signed by the old key verifies while it stays in the ring', async () => {
    const clock = newClock();
    const old = build(clock);
    const token = old.notifier.unsubscribeToken({ userId: 'u1', channel: '*', category: 'tips' });
    const newKey = { id: 'k2', secret: new Uint8Array(32).fill(3) };
    const rotated = build(clock, {
      unsubscribe: { keys: [newKey, UNSUBSCRIBE_KEY], url: 'https://example.com/u' },
    });
    expect(await rotated.notifier.handleUnsubscribe(token)).toMatchObject({ category: 'tips', channel: '*' });
    expect(
      rotated.notifier.unsubscribeToken({ userId: 'u1', channel: 'email', category: 'news' }).split('.')[1],
    ).toBe('k2');
    const dropped = build(clock, { unsubscribe: { keys: [newKey], url: 'https://example.com/u' } });
    expect(await rejection(() => dropped.notifier.handleUnsubscribe(token))).toMatchObject({
      code: 'ERR_NOTIFY_UNSUBSCRIBE_INVALID',
    });
  });

  it('promotional email without unsubscribe fails construction (declared or used) or the send; short or duplicate keys too', async () => {
    const base = {
      channels: { email: { providers: [createOutbox().email], from: FROM } },
      templates: { t: { email: { subject: 's', text: 't' } } },
    };
    // A transactional-only notifier needs no unsubscribe endpoint...
    const transactional = createNotifier(base);
    // ...but a promotional send through it is refused, never sent without List-Unsubscribe.
    await expect(
      transactional.send({
        to: { userId: 'u', email: 'a@example.com' },
        template: 't',
        category: 'promotional',
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const promo = { t: { category: 'promotional', email: { subject: 's', text: 't' } } };
    expect(() => createNotifier({ ...base, templates: promo })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createNotifier({ ...base, categories: { news: 'promotional' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() =>
      createNotifier({
        ...base,
        unsubscribe: { keys: [{ id: 'k', secret: new Uint8Array(16) }], url: 'https://x.test/u' },
      }),
    ).toThrow(/at least 32 bytes/);
    expect(() =>
      createNotifier({
        ...base,
        unsubscribe: { keys: [UNSUBSCRIBE_KEY, UNSUBSCRIBE_KEY], url: 'https://x.test/u' },
      }),
    ).toThrow(/unique/);
    expect(() =>
      createNotifier({ ...base, unsubscribe: { keys: [UNSUBSCRIBE_KEY], url: 'http://x.test/u' } }),
    ).toThrow(/https/);
  });
});

describe('suppression and the promotional pause', () => {
  it('a hard bounce suppresses the address for every category; a soft bounce does not', async () => {
    const clock = newClock();
    const { notifier, outbox } = build(clock);
    const sent = await notifier.send({ to, template: 'reset', channels: ['email'] });
    const receipt = outbox.messages[0]!;
    expect(sent.channels[0]?.status).toBe('sent');
    const event = {
      provider: receipt.provider,
      providerMessageId: receipt.providerMessageId,
      channel: 'email' as const,
      recipient: 'ADA@example.com',
      atMs: clock.now(),
    };
    expect(await notifier.track([{ ...event, status: 'bounced', permanent: false }])).toMatchObject({
      updated: 1,
      suppressed: 0,
    });
    expect(statuses(await notifier.send({ to, template: 'reset', channels: ['email'] }))).toEqual(['sent']);
    expect(
      await notifier.track([
        {
          ...event,
          status: 'bounced',
          permanent: true,
          providerMessageId: outbox.messages[1]!.providerMessageId,
        },
      ]),
    ).toMatchObject({ updated: 1, suppressed: 1 });
    expect(statuses(await notifier.send({ to, template: 'reset' }))).toEqual(['suppressed:bounced', 'sent']);
    expect(statuses(await notifier.send({ to, template: 'news' }))).toEqual(['suppressed:bounced', 'sent']);
    expect(await notifier.unsuppress('email', 'Ada@Example.com')).toBe(true);
    expect(statuses(await notifier.send({ to, template: 'reset', channels: ['email'] }))).toEqual(['sent']);
  });

  it('a complaint suppresses the address even without a known record', async () => {
    const clock = newClock();
    const { notifier } = build(clock);
    const result = await notifier.track([
      {
        provider: 'x',
        providerMessageId: 'unknown',
        channel: 'email',
        status: 'complained',
        recipient: 'ada@EXAMPLE.com',
        atMs: clock.now(),
      },
    ]);
    expect(result).toEqual({ updated: 0, ignored: 0, unknown: 1, suppressed: 1 });
    expect(statuses(await notifier.send({ to, template: 'reset', channels: ['email'] }))).toEqual([
      'suppressed:complained',
    ]);
  });

  it('complaints above the threshold pause promotional email (transactional still goes), and the pause ends with the window', async () => {
    const clock = newClock();
    const { notifier, outbox, metrics } = build(clock, {
      reputation: { windowMs: 3_600_000, complaintRateThreshold: 0.1, minSends: 10 },
    });
    for (let i = 0; i < 10; i++)
      await notifier.send({
        to: { userId: `u${i}`, email: `user${i}@example.com` },
        template: 'news',
        channels: ['email'],
      });
    const events = outbox.messages.slice(0, 2).map((m) => ({
      provider: m.provider,
      providerMessageId: m.providerMessageId,
      channel: 'email' as const,
      status: 'complained' as const,
      recipient: m.message.channel === 'email' ? m.message.to.address : '',
      atMs: clock.now(),
    }));
    await notifier.track(events);
    const other = { userId: 'fresh', email: 'fresh@example.com' };
    expect(statuses(await notifier.send({ to: other, template: 'news', channels: ['email'] }))).toEqual([
      'skipped:promotional-paused',
    ]);
    expect(metrics.gaugeValue('notify.complaint.rate')).toBeCloseTo(0.2);
    expect(statuses(await notifier.send({ to: other, template: 'reset', channels: ['email'] }))).toEqual([
      'sent',
    ]);
    expect(
      statuses(
        await notifier.send({ to: { ...other, phone: '+14155550199' }, template: 'news', channels: ['sms'] }),
      ),
    ).toEqual(['sent']);
    clock.advance(2 * 3_600_000);
    expect(statuses(await notifier.send({ to: other, template: 'news', channels: ['email'] }))).toEqual([
      'sent',
    ]);
  });

  it('track refuses malformed events before applying any', async () => {
    const clock = newClock();
    const { notifier } = build(clock);
    const good = {
      provider: 'p',
      messageId: 'm',
      channel: 'email',
      status: 'delivered',
      recipient: 'a@example.com',
      atMs: 1,
    };
    for (const bad of [
      null,
      { ...good, status: 'opened' },
      { ...good, channel: 'fax' },
      { ...good, atMs: Number.NaN },
      { ...good, messageId: undefined },
    ]) {
      expect(await rejection(() => notifier.track([good, bad] as never))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
    expect(await rejection(() => notifier.track('x' as never))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
