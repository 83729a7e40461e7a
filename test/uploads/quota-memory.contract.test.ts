import { describe, it } from 'vitest';
import { quotaStoreContract } from '../../src/testing/index.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';

quotaStoreContract(
  { describe, it },
  { name: 'memory', setup: () => ({ subject: createMemoryQuotaStore() }) },
);
