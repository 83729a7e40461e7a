/**
 * The modules the notify bench runs, from the built package (dist/), as users run them; types come from
 * the sources. npm run bench builds dist first; the bench test runs scripts/ensure-build.ts.
 */
import type * as JobsModule from '../../src/jobs/index.js';
import type * as NotifyModule from '../../src/notify/index.js';
import type * as SmtpModule from '../../src/notify/smtp.js';
import type * as TestingModule from '../../src/testing/index.js';
import { importBuilt } from '../support/built.js';

/** The built entries the bench uses. */
export interface Built {
  readonly notify: typeof NotifyModule;
  readonly smtp: typeof SmtpModule;
  readonly jobs: typeof JobsModule;
  readonly testing: typeof TestingModule;
}

/** Imports the built entries. */
export async function loadBuilt(): Promise<Built> {
  return {
    notify: await importBuilt<typeof NotifyModule>('notify/index.js'),
    smtp: await importBuilt<typeof SmtpModule>('notify/smtp.js'),
    jobs: await importBuilt<typeof JobsModule>('jobs/index.js'),
    testing: await importBuilt<typeof TestingModule>('testing/index.js'),
  };
}

/**
 * The nodemailer transport settings of every sender in the bench (ours builds its transport from them
 * in createSmtpProvider, the plain side passes them to createTransport): a pool of 5 connections that
 * each carry up to 100 messages (nodemailer's defaults, written out), no TLS on the loopback.
 */
export const transportOptions = (port: number) => ({
  host: '127.0.0.1',
  port,
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: 5,
  maxMessages: 100,
});

export { runConcurrent } from '../support/concurrent.js';
