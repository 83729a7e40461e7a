import { describe, it } from 'vitest';
import { createMemoryJobBackend } from '../../src/jobs/index.js';
import { createManualClock, jobBackendContract } from '../../src/testing/index.js';

jobBackendContract(
  { describe, it },
  {
    name: 'memory',
    setup: () => {
      const clock = createManualClock(Date.UTC(2026, 0, 1));
      return { clock, backend: createMemoryJobBackend({ clock }) };
    },
  },
);
