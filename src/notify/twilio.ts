/**
 * `backend-patterns/notify/twilio`: the Twilio SMS provider (Messages API over `fetch`) and the
 * verifier of Twilio status callbacks (`X-Twilio-Signature`), which turns them into `DeliveryEvent`s.
 * No Twilio SDK is needed.
 */

export * from './providers/shared-exports.js';
export {
  createTwilioProvider,
  MESSAGE_ID_PARAM,
  type TwilioProviderOptions,
} from './providers/twilio-sms.js';
export {
  createTwilioStatusVerifier,
  type TwilioParams,
  type TwilioStatusRequest,
  type TwilioStatusVerifier,
  type TwilioStatusVerifierOptions,
} from './providers/twilio-status.js';
