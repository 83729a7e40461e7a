/**
 * `backend-patterns/notify/sendgrid`: the SendGrid email provider (v3 Mail Send over `fetch`) and the
 * verifier of SendGrid's signed Event Webhook, which turns delivery events into `DeliveryEvent`s.
 * No SendGrid SDK is needed.
 */
export {
  createSendGridEventVerifier,
  type SendGridEventRequest,
  type SendGridEventVerifier,
  type SendGridEventVerifierOptions,
} from './providers/sendgrid-events.js';
export {
  createSendGridProvider,
  type SendGridProviderOptions,
} from './providers/sendgrid-mail.js';
export * from './providers/shared-exports.js';
