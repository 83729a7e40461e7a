import { describe, it } from 'vitest';
import { memoryStoreClient, objectStoreContract } from '../../src/testing/index.js';
import { createMemoryObjectStore } from '../../src/uploads/memory-store.js';

objectStoreContract(
  { describe, it },
  {
    name: 'memory',
    clockDrivesExpiry: true,
    setup: (clock) => {
      // A 1 KiB minimum part keeps the multipart cases small; the rule is the same as S3's 5 MiB.
      const store = createMemoryObjectStore({ clock, multipartLimits: { minPartBytes: 1024 } });
      return { subject: { store, send: memoryStoreClient(store) } };
    },
  },
);
