/**
 * The outbox: providers that keep every message they are handed instead of sending it, for tests,
 * previews and local development (what nodemailer's jsonTransport or notifme's catcher do).
 */
import type {
  EmailMessage,
  NotifyProvider,
  ProviderMessage,
  SmsMessage,
  WebhookMessage,
} from './provider.js';

/** One message kept by the outbox, with the idempotency key it was sent under. */
export interface OutboxEntry {
  readonly provider: string;
  readonly message: ProviderMessage;
  readonly idempotencyKey: string;
  readonly providerMessageId: string;
}

/** An outbox: a provider per channel, all writing to one list. */
export interface Outbox {
  readonly email: NotifyProvider<EmailMessage>;
  readonly sms: NotifyProvider<SmsMessage>;
  readonly webhook: NotifyProvider<WebhookMessage>;
  /** Everything handed over so far, oldest first. */
  readonly messages: readonly OutboxEntry[];
  /** Messages to one address (email address, phone number or URL). */
  to(address: string): OutboxEntry[];
  clear(): void;
}

const addressOf = (m: ProviderMessage) =>
  m.channel === 'email' ? m.to.address : m.channel === 'sms' ? m.to : m.url;

/**
 * Creates an outbox; `name` prefixes its providers' names (`outbox-email`, ...).
 *
 * @example
 * ```ts
 * const outbox = createOutbox();
 * const notifier = createNotifier({
 *   channels: { email: { providers: [outbox.email], from: { address: 'app@example.com' } } },
 *   templates: { hello: { email: { subject: 'Hi {{name}}', text: 'Hello {{name}}' } } },
 * });
 * await notifier.send({ to: { userId: 'u1', email: 'ada@example.com' }, template: 'hello', data: { name: 'Ada' } });
 * outbox.messages.length; // 1
 * ```
 */
export function createOutbox(name = 'outbox'): Outbox {
  const messages: OutboxEntry[] = [];
  let seq = 0;
  const provider = <M extends ProviderMessage>(channel: M['channel']): NotifyProvider<M> => ({
    name: `${name}-${channel}`,
    channel,
    idempotent: true, // a key seen before returns its first receipt, as idempotent providers do
    async send(message, context) {
      const earlier = messages.find(
        (e) => e.idempotencyKey === context.idempotencyKey && e.provider === `${name}-${channel}`,
      );
      if (earlier) return { providerMessageId: earlier.providerMessageId };
      const providerMessageId = `${name}-${++seq}`;
      messages.push({
        provider: `${name}-${channel}`,
        message,
        idempotencyKey: context.idempotencyKey,
        providerMessageId,
      });
      return { providerMessageId };
    },
  });
  return {
    email: provider<EmailMessage>('email'),
    sms: provider<SmsMessage>('sms'),
    webhook: provider<WebhookMessage>('webhook'),
    messages,
    to: (address) => messages.filter((e) => addressOf(e.message) === address),
    clear: () => {
      messages.length = 0;
    },
  };
}
