/**
 * The notify module's one error list: `NOTIFY_ERROR_CODES` holds every code its classes carry, the
 * receivers' included, and every provider subpath re-exports that same list (no second list to drift).
 * The receiver codes are also provoked for real, through the Standard Webhooks verifier fed hostile
 * requests, so the list is checked against what the code throws, not only against constructors.
 */
import { describe, expect, it } from 'vitest';
import { BackendPatternsError } from '../../src/core/errors.js';
import { createManualClock } from '../../src/core/manual-clock.js';
import * as notify from '../../src/notify/index.js';
import * as sendgrid from '../../src/notify/sendgrid.js';
import * as smtp from '../../src/notify/smtp.js';
import * as twilio from '../../src/notify/twilio.js';
import * as webhook from '../../src/notify/webhook.js';
import {
  createMemoryReplayGuard,
  PayloadInvalidError,
  ReplayedError,
  SignatureInvalidError,
  SignatureMissingError,
  signWebhook,
  TimestampOutOfRangeError,
  verifyWebhook,
} from '../../src/notify/webhook.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z

function errorListsOf(entry: Record<string, unknown>): string[] {
  return Object.keys(entry).filter((key) => key.endsWith('_ERROR_CODES'));
}

/** The code a verification rejected with (it must reject). */
async function refusedWith(run: () => Promise<unknown>): Promise<string> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendPatternsError);
  return (error as { code: string }).code;
}

function signed(id: string, body: string, timestampSeconds = NOW_S, secret = SECRET) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook({ secret, id, timestampSeconds, body }),
  };
}

describe('NOTIFY_ERROR_CODES', () => {
  it('lists exactly the codes the notifier and receiver classes carry', () => {
    const result = { idempotencyKey: 'k', channels: [] };
    const codes = [
      new notify.ProviderError('p', 'permanent', 'x').code,
      new notify.InvalidRecipientError('to.email', 'x').code,
      new notify.HeaderInjectionError('subject').code,
      new notify.DataTooLargeError(1).code,
      new notify.InvalidDataError('x').code,
      new notify.TemplateNotFoundError('x').code,
      new notify.TemplateSyntaxError('x').code,
      new notify.TemplateDataError('x').code,
      new notify.UnsubscribeTokenError('x').code,
      new notify.UnsubscribeExpiredError().code,
      new notify.SendInProgressError('k', 0).code,
      new notify.IdempotencyMismatchError('k').code,
      new notify.DeliveryFailedError(result, 'unavailable', undefined).code,
      new SignatureMissingError('x').code,
      new SignatureInvalidError('x').code,
      new TimestampOutOfRangeError('x', 0).code,
      new ReplayedError('x', 'k').code,
      new PayloadInvalidError('x').code,
    ];
    expect([...notify.NOTIFY_ERROR_CODES].sort()).toEqual([...codes].sort());
    expect(new Set(notify.NOTIFY_ERROR_CODES).size).toBe(notify.NOTIFY_ERROR_CODES.length);
  });

  it('is the one list of the module entry, and every provider subpath re-exports that same array', () => {
    expect(errorListsOf(notify)).toEqual(['NOTIFY_ERROR_CODES']);
    for (const subpath of [smtp, sendgrid, twilio, webhook]) {
      expect(errorListsOf(subpath)).toEqual(['NOTIFY_ERROR_CODES']);
      expect(subpath.NOTIFY_ERROR_CODES).toBe(notify.NOTIFY_ERROR_CODES);
    }
  });
});

describe('receiver codes, provoked by hostile requests', () => {
  const clock = createManualClock(NOW_S * 1000);
  const body = '{"type":"invoice.paid","timestamp":"2026-01-01T00:00:00Z","data":{}}';

  it('refuses each way with a listed code', async () => {
    const verify = (
      headers: Record<string, string>,
      raw = body,
      replayGuard = createMemoryReplayGuard({ clock }),
    ) => verifyWebhook({ secret: SECRET, headers, body: raw, clock, replayGuard });
    const guard = createMemoryReplayGuard({ clock });
    const seen: string[] = [
      // unsigned: no headers at all
      await refusedWith(() => verify({})),
      // signed with a key the receiver does not hold
      await refusedWith(() => verify(signed('msg_1', body, NOW_S, OTHER_SECRET))),
      // a body changed after signing
      await refusedWith(() => verify(signed('msg_2', body), body.replace('paid', 'void'))),
      // a genuine signature, an hour old
      await refusedWith(() => verify(signed('msg_3', body, NOW_S - 3600))),
      // correctly signed, but not JSON
      await refusedWith(() => verify(signed('msg_4', 'not json'), 'not json')),
    ];
    await verify(signed('msg_5', body), body, guard);
    // the same delivery a second time
    seen.push(await refusedWith(() => verify(signed('msg_5', body), body, guard)));
    expect(seen).toEqual([
      'ERR_NOTIFY_SIGNATURE_MISSING',
      'ERR_NOTIFY_SIGNATURE_INVALID',
      'ERR_NOTIFY_SIGNATURE_INVALID',
      'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
      'ERR_NOTIFY_PAYLOAD_INVALID',
      'ERR_NOTIFY_REPLAYED',
    ]);
    for (const code of seen) expect(notify.NOTIFY_ERROR_CODES).toContain(code);
  });
});
