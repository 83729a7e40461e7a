import { describe, it } from 'vitest';
import { createMemorySource } from '../../src/search/memory-source.js';
import { searchSourceContract } from '../../src/testing/index.js';

searchSourceContract(
  { describe, it },
  {
    name: 'memory',
    setup: ({ schema, rows }) => {
      const subject = createMemorySource<Record<string, unknown>>({ rows: [...rows] });
      subject.bind(schema);
      return { subject, close: () => subject.close?.() };
    },
  },
);
