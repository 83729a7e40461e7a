/**
 * The modules the accounts bench runs, from the built package (dist/), as users run them; types come
 * from the sources. npm run bench builds dist first; the bench test runs scripts/ensure-build.ts.
 */

import type * as Argon2Module from '../../src/accounts/argon2.js';
import type * as AccountsModule from '../../src/accounts/index.js';
import type * as NotifyModule from '../../src/notify/index.js';
import { importBuilt } from '../support/built.js';

/** The built entries the bench uses. */
export interface Built {
  readonly accounts: typeof AccountsModule;
  readonly argon2: typeof Argon2Module;
  readonly notify: typeof NotifyModule;
}

/** Imports the built entries. */
export async function loadBuilt(): Promise<Built> {
  return {
    accounts: await importBuilt<typeof AccountsModule>('accounts/index.js'),
    argon2: await importBuilt<typeof Argon2Module>('accounts/argon2.js'),
    notify: await importBuilt<typeof NotifyModule>('notify/index.js'),
  };
}

/** The argon2 parameters of every side: OWASP's minimum, our default. */
export const PARAMS = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 } as const;

export { runConcurrent } from '../support/concurrent.js';
