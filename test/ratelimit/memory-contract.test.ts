import { describe, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../src/ratelimit/index.js';
import { rateLimitStoreContract } from '../../src/testing/index.js';

rateLimitStoreContract(
  { describe, it },
  { name: 'memory', setup: (clock) => ({ subject: createMemoryRateLimitStore({ clock }) }) },
);
