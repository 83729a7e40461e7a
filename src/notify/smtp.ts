/**
 * `backend-patterns/notify/smtp`: the SMTP email provider on nodemailer (an optional peer), pooled or
 * not, with nodemailer's errors classified for retries and failover.
 */

export * from './providers/shared-exports.js';
export {
  createSmtpProvider,
  MESSAGE_ID_HEADER,
  type PreparedHeader,
  type SmtpAddress,
  type SmtpMail,
  type SmtpProviderOptions,
  type SmtpSentInfo,
  type SmtpTransport,
  type SmtpTransportOptions,
} from './providers/smtp-mail.js';
