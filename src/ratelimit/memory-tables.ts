/**
 * The memory store's tables: per limiter and policy, the state and the penalty blocks of each key; per
 * limiter, the lease sets. Two levels of maps keyed by the limiter's and the policy's own (constant) name
 * strings: no key is built per call, and those strings' hashes are cached by the engine.
 */
import type { EngineState } from './engine.js';
import { ExpiringTable } from './expiring-table.js';

/** One held lease. */
export type MemoryLease = { expiresAtMs: number; cost: number };
/** A key's engine state. */
export type StateEntry = { referenced: boolean; expiresAtMs: number; state: EngineState };
/** A key's penalty block. */
export type BlockEntry = { referenced: boolean; expiresAtMs: number; untilMs: number };
/** A key's held leases, by lease id. */
export type LeaseEntry = { referenced: boolean; expiresAtMs: number; leases: Map<string, MemoryLease> };

/** One policy's state and penalty blocks, keyed by the policy's key (user id, IP, '*'). */
export interface PolicyTables {
  readonly state: ExpiringTable<StateEntry>;
  readonly blocks: ExpiringTable<BlockEntry>;
}

/** All tables of one store; each table holds at most `maxKeys` entries. */
export function createMemoryTables(maxKeys: number) {
  const policyTables = new Map<string, Map<string, PolicyTables>>();
  const leaseTables = new Map<string, ExpiringTable<LeaseEntry>>();
  return {
    policy(limiter: string, policy: string): PolicyTables {
      let byPolicy = policyTables.get(limiter);
      if (!byPolicy) {
        byPolicy = new Map();
        policyTables.set(limiter, byPolicy);
      }
      let tables = byPolicy.get(policy);
      if (!tables) {
        tables = { state: new ExpiringTable(maxKeys), blocks: new ExpiringTable(maxKeys) };
        byPolicy.set(policy, tables);
      }
      return tables;
    },
    leases(limiter: string): ExpiringTable<LeaseEntry> {
      let table = leaseTables.get(limiter);
      if (!table) {
        table = new ExpiringTable<LeaseEntry>(maxKeys);
        leaseTables.set(limiter, table);
      }
      return table;
    },
    /** Entries held over all limiters (state, blocks and lease sets). */
    size(): number {
      let total = 0;
      for (const byPolicy of policyTables.values()) {
        for (const t of byPolicy.values()) total += t.state.size + t.blocks.size;
      }
      for (const t of leaseTables.values()) total += t.size;
      return total;
    },
  };
}

/** The tables of one store. */
export type MemoryTables = ReturnType<typeof createMemoryTables>;
