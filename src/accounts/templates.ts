/**
 * Default email templates for the account mails, to spread into `createNotifier({ templates })`. They
 * are plain, short and transactional (no images, no tracking links: spam filters score those), and say
 * what to do when the mail was not expected. Override any of them by name.
 */
import type { TemplateDefinition } from '../notify/index.js';

const signature = '<p>— {{appName}}</p>';

/**
 * The four templates the flows send by default: `account-verify`, `account-reset`,
 * `account-reset-completed` and `account-signup-existing`. Every one uses `appName` (pass it in the
 * flow's `mailData`); links come from the flow's configured `links`.
 *
 * @example
 * ```ts
 * import { accountTemplates } from 'backend-patterns/accounts';
 * const templates = { ...accountTemplates(), welcome: { email: { subject: 'Hi', html: '<p>Hi</p>' } } };
 * ```
 */
export function accountTemplates(): Readonly<Record<string, TemplateDefinition>> {
  return {
    'account-verify': {
      category: 'transactional',
      email: {
        subject: 'Confirm your email address for {{appName}}',
        html: `<p>Confirm your address by opening this link (valid for {{expiresInMinutes}} minutes):</p><p><a href="{{link}}">{{link}}</a></p><p>If you did not sign up, ignore this mail; no account will be activated.</p>${signature}`,
      },
    },
    'account-reset': {
      category: 'transactional',
      email: {
        subject: 'Reset your {{appName}} password',
        html: `<p>Someone asked to reset the password of your account. To choose a new one, open this link (valid for {{expiresInMinutes}} minutes, usable once):</p><p><a href="{{link}}">{{link}}</a></p><p>If it was not you, ignore this mail: your password has not changed.</p>${signature}`,
      },
    },
    'account-reset-completed': {
      category: 'transactional',
      email: {
        subject: 'Your {{appName}} password was changed',
        html: `<p>The password of your account was just changed, and every device was signed out.</p><p>If it was not you, reset it now: <a href="{{resetUrl}}">{{resetUrl}}</a>, and contact support.</p>${signature}`,
      },
    },
    'account-signup-existing': {
      category: 'transactional',
      email: {
        subject: 'You already have a {{appName}} account',
        html: `<p>Someone tried to sign up with this address, which already has an account.</p><p>If it was you, sign in: <a href="{{loginUrl}}">{{loginUrl}}</a>, or reset your password: <a href="{{resetUrl}}">{{resetUrl}}</a>. Otherwise ignore this mail.</p>${signature}`,
      },
    },
  };
}
