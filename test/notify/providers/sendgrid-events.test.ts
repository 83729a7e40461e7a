/**
 * SendGrid's signed Event Webhook: ECDSA P-256 signatures made here with a generated key pair (as
 * SendGrid signs: over timestamp + raw body, DER, base64), the mapping of the delivery events, and
 * every way a request must be refused: unsigned, tampered, wrong key, stale, replayed (also with a
 * malleated signature), not the documented body.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/manual-clock.js';
import { createMemoryReplayGuard, createSendGridEventVerifier } from '../../../src/notify/sendgrid.js';
import { expectCode } from './support.js';

const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** The order of P-256: (r, s) and (r, n - s) are both valid signatures of the same bytes. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** Re-encodes a DER ECDSA signature with s replaced by n - s. */
function malleate(signatureBase64: string): string {
  const der = Buffer.from(signatureBase64, 'base64');
  const rLength = der[3] as number;
  const r = der.subarray(4, 4 + rLength);
  const s = BigInt(`0x${der.subarray(6 + rLength).toString('hex')}`);
  const integer = (value: Buffer) => (value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
  const sBytes = integer(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex').subarray(0));
  const strip = (value: Buffer) => {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0 && !((value[i + 1] as number) & 0x80)) i += 1;
    return value.subarray(i);
  };
  const sFinal = strip(sBytes);
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, sFinal.length]), sFinal]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64');
}

const derBase64 = (key: KeyObject) => key.export({ format: 'der', type: 'spki' }).toString('base64');

const signed = (body: string, timestamp = String(NOW_S), key: KeyObject = privateKey) => ({
  headers: {
    'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(timestamp + body), key).toString(
      'base64',
    ),
    'x-twilio-email-event-webhook-timestamp': timestamp,
    'content-type': 'application/json',
  },
  body,
});

const events = [
  {
    email: 'a@example.org',
    timestamp: NOW_S - 5,
    event: 'processed',
    sg_message_id: 'W3b.filter0001',
    messageId: 'm1',
  },
  {
    email: 'a@example.org',
    timestamp: NOW_S - 4,
    event: 'delivered',
    response: '250 OK',
    sg_event_id: 'e1',
    sg_message_id: 'W3bXy.filterdrecv-1',
    messageId: 'm1',
  },
  {
    email: 'b@example.org',
    timestamp: NOW_S - 3,
    event: 'deferred',
    response: '451 try later',
    messageId: 'm2',
  },
  {
    email: 'c@example.org',
    timestamp: NOW_S - 3,
    event: 'bounce',
    type: 'bounce',
    reason: '550 5.1.1 no such user',
    messageId: 'm3',
  },
  {
    email: 'd@example.org',
    timestamp: NOW_S - 2,
    event: 'bounce',
    type: 'blocked',
    reason: '554 blocked',
    messageId: 'm4',
  },
  {
    email: 'e@example.org',
    timestamp: NOW_S - 2,
    event: 'dropped',
    reason: 'Bounced Address',
    messageId: 'm5',
  },
  { email: 'f@example.org', timestamp: NOW_S - 1, event: 'spamreport', messageId: 'm6' },
  { email: 'f@example.org', timestamp: NOW_S - 1, event: 'open', messageId: 'm6' },
  { email: 'f@example.org', timestamp: NOW_S - 1, event: 'click', url: 'https://example.com' },
];

describe('SendGrid Event Webhook verifier', () => {
  const clock = createManualClock(NOW_S * 1000);
  const verifier = (extra: Record<string, unknown> = {}) =>
    createSendGridEventVerifier({ publicKey: derBase64(publicKey), clock, ...extra });

  it('verifies a signed batch and maps the delivery events', async () => {
    const result = await verifier().verify(signed(JSON.stringify(events)));
    expect(result).toEqual([
      {
        messageId: 'm1',
        providerMessageId: 'W3bXy',
        provider: 'sendgrid',
        channel: 'email',
        status: 'delivered',
        recipient: 'a@example.org',
        atMs: (NOW_S - 4) * 1000,
        reason: '250 OK',
      },
      expect.objectContaining({
        messageId: 'm2',
        status: 'deferred',
        recipient: 'b@example.org',
        reason: '451 try later',
      }),
      expect.objectContaining({
        messageId: 'm3',
        status: 'bounced',
        permanent: true,
        reason: '550 5.1.1 no such user',
      }),
      expect.objectContaining({ messageId: 'm4', status: 'bounced', permanent: false }),
      expect.objectContaining({ messageId: 'm5', status: 'failed', reason: 'Bounced Address' }),
      expect.objectContaining({ messageId: 'm6', status: 'complained', recipient: 'f@example.org' }),
    ]);
  });

  it('accepts the key as PEM and bytes as the body, and names the provider', async () => {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const request = signed(JSON.stringify(events.slice(1, 2)));
    const result = await verifier({ publicKey: pem, provider: 'sendgrid-eu' }).verify({
      headers: new Headers(request.headers),
      body: new TextEncoder().encode(request.body),
    });
    expect(result).toMatchObject([{ provider: 'sendgrid-eu', status: 'delivered' }]);
  });

  describe('refuses', () => {
    const body = JSON.stringify(events);

    it('an unsigned request (either header missing)', async () => {
      const { headers } = signed(body);
      await expectCode(verifier().verify({ headers: {}, body }), 'ERR_NOTIFY_SIGNATURE_MISSING');
      const noTimestamp = {
        'x-twilio-email-event-webhook-signature': headers['x-twilio-email-event-webhook-signature'],
      };
      await expectCode(verifier().verify({ headers: noTimestamp, body }), 'ERR_NOTIFY_SIGNATURE_MISSING');
    });

    it('a tampered body, a tampered timestamp, another key', async () => {
      const request = signed(body);
      await expectCode(
        verifier().verify({ ...request, body: body.replace('bounce', 'delivered') }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(verifier().verify({ ...request, body: `${body} ` }), 'ERR_NOTIFY_SIGNATURE_INVALID');
      const shifted = { ...request.headers, 'x-twilio-email-event-webhook-timestamp': String(NOW_S - 1) };
      await expectCode(verifier().verify({ headers: shifted, body }), 'ERR_NOTIFY_SIGNATURE_INVALID');
      await expectCode(
        verifier().verify(signed(body, String(NOW_S), other.privateKey)),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(
        verifier({ publicKey: derBase64(other.publicKey) }).verify(signed(body)),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
    });

    it('malformed signatures and timestamps', async () => {
      const { headers } = signed(body);
      const malformed = ['not base64!', 'AAAA', 'x'.repeat(2000), ''];
      for (const signature of malformed) {
        const code = signature === '' ? 'ERR_NOTIFY_SIGNATURE_MISSING' : 'ERR_NOTIFY_SIGNATURE_INVALID';
        await expectCode(
          verifier().verify({
            headers: { ...headers, 'x-twilio-email-event-webhook-signature': signature },
            body,
          }),
          code,
        );
      }
      for (const timestamp of ['-1', '1.5', 'now', `${NOW_S}0000000000`]) {
        await expectCode(verifier().verify(signed(body, timestamp)), 'ERR_NOTIFY_SIGNATURE_INVALID');
      }
    });

    it('a timestamp outside the tolerance (old: a replay; or in the future)', async () => {
      const old = await expectCode(
        verifier().verify(signed(body, String(NOW_S - 301))),
        'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
      );
      expect(old.message).toMatch(/older than/);
      await expectCode(
        verifier().verify(signed(body, String(NOW_S + 301))),
        'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
      );
      await expect(verifier().verify(signed(body, String(NOW_S - 300)))).resolves.toHaveLength(6);
      await expect(
        verifier({ toleranceSeconds: 900 }).verify(signed(body, String(NOW_S - 600))),
      ).resolves.toHaveLength(6);
    });

    it('a replay inside the tolerance, even with a malleated signature', async () => {
      const replayGuard = createMemoryReplayGuard({ clock });
      const guarded = verifier({ replayGuard });
      const request = signed(body);
      await guarded.verify(request);
      const replay = await expectCode(guarded.verify(request), 'ERR_NOTIFY_REPLAYED');
      expect(replay.message).toMatch(/already accepted/);
      // (r, s) and (r, n - s) both verify: a replay need not carry the same signature bytes.
      const malleated = malleate(request.headers['x-twilio-email-event-webhook-signature']);
      expect(malleated).not.toBe(request.headers['x-twilio-email-event-webhook-signature']);
      const replayed = {
        ...request,
        headers: { ...request.headers, 'x-twilio-email-event-webhook-signature': malleated },
      };
      await expect(verifier().verify(replayed)).resolves.toHaveLength(6); // it verifies on its own...
      await expectCode(guarded.verify(replayed), 'ERR_NOTIFY_REPLAYED'); // ...and is still caught
      await expectCode(guarded.verify(signed(body)), 'ERR_NOTIFY_REPLAYED'); // a fresh signature, same bytes
      await expect(guarded.verify(signed(body, String(NOW_S - 1)))).resolves.toHaveLength(6); // another request
    });

    it('a body that is not the documented array, or too big', async () => {
      await expectCode(verifier().verify(signed('{"event":"delivered"}')), 'ERR_NOTIFY_PAYLOAD_INVALID');
      await expectCode(verifier().verify(signed('not json')), 'ERR_NOTIFY_PAYLOAD_INVALID');
      await expectCode(verifier({ maxBodyBytes: 100 }).verify(signed(body)), 'ERR_NOTIFY_PAYLOAD_INVALID');
      await expectCode(
        verifier().verify({ headers: signed(body).headers, body: { parsed: true } as unknown as string }),
        'ERR_NOTIFY_PAYLOAD_INVALID',
      );
      const odd = JSON.stringify([
        null,
        1,
        'x',
        [],
        { event: 'delivered' },
        { email: 'a@example.org', event: 'nope' },
      ]);
      await expect(verifier().verify(signed(odd))).resolves.toEqual([]);
    });

    it('a key that is not an ECDSA P-256 public key, at construction', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
      expect(() => createSendGridEventVerifier({ publicKey: derBase64(rsa) })).toThrow(/P-256/);
      expect(() => createSendGridEventVerifier({ publicKey: derBase64(p384) })).toThrow(/P-256/);
      expect(() => createSendGridEventVerifier({ publicKey: 'bm90IGEga2V5' })).toThrow(/public key/);
      expect(() => createSendGridEventVerifier({ publicKey: '' })).toThrow(/public key/);
      expect(() =>
        createSendGridEventVerifier({ publicKey: derBase64(publicKey), toleranceSeconds: 0 }),
      ).toThrow(/toleranceSeconds/);
    });
  });
});
