/**
 * `backend-patterns/notify/webhook`: the webhook provider (JSON over `fetch`, signed per the Standard
 * Webhooks spec) and the receiver side: {@link verifyWebhook} / {@link createWebhookVerifier} for the
 * endpoints that receive them, and {@link signWebhook} for their tests.
 */

export * from './providers/shared-exports.js';
export { createWebhookProvider, type WebhookProviderOptions } from './providers/webhook-send.js';
export {
  createWebhookVerifier,
  type SignWebhookInput,
  signWebhook,
  type VerifiedWebhook,
  type VerifyWebhookInput,
  verifyWebhook,
  type WebhookRequest,
  type WebhookSecrets,
  type WebhookVerifier,
  type WebhookVerifierOptions,
} from './providers/webhook-signature.js';
