import type { DemoSection } from '../types.js';
import { accountsSection } from './accounts.js';
import { authSection } from './auth.js';
import { coreSection } from './core.js';
import { flagsSection } from './flags.js';
import { jobsSection } from './jobs.js';
import { jobsAmqpSection } from './jobs-amqp.js';
import { notifySection } from './notify.js';
import { ratelimitSection } from './ratelimit.js';
import { searchSection } from './search.js';
import { uploadsSection } from './uploads.js';

/** The tour, in order. Each landed module adds its section here. */
export const sections: readonly DemoSection[] = [
  coreSection,
  ratelimitSection,
  authSection,
  jobsSection,
  jobsAmqpSection,
  notifySection,
  accountsSection,
  flagsSection,
  searchSection,
  uploadsSection,
];
