import { describe, it } from 'vitest';
import { createMemoryJobBackend } from '../../src/jobs/index.js';
import { jobBackendContract } from '../../src/testing/index.js';

jobBackendContract(
  { describe, it },
  { name: 'memory', setup: (clock) => ({ subject: createMemoryJobBackend({ clock }) }) },
);
