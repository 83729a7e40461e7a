/**
 * The memory store's concurrency leases: per limiter key, a map of lease id -> { expiresAtMs, cost }.
 * Expired leases are dropped before every count, so a holder that crashed frees its slots when its lease
 * runs out; the key's entry expires with its last lease.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { MemoryLease, MemoryTables } from './memory-tables.js';
import type { LeaseHandle, LeaseRequest, LeaseResponse } from './store.js';

/** The lease methods of the memory store, on `tables` and `clock`. */
export function createMemoryLeases(tables: MemoryTables, clock: Clock) {
  const leasesOf = (limiter: string, key: string, nowMs: number) => {
    const leases = tables.leases(limiter).get(key, nowMs)?.leases ?? new Map<string, MemoryLease>();
    for (const [id, lease] of leases) if (lease.expiresAtMs <= nowMs) leases.delete(id);
    return leases;
  };
  const saveLeases = (limiter: string, key: string, leases: Map<string, MemoryLease>) => {
    const table = tables.leases(limiter);
    if (leases.size === 0) {
      table.delete(key);
      return;
    }
    const expiresAtMs = Math.max(...[...leases.values()].map((l) => l.expiresAtMs));
    table.set(key, { leases, expiresAtMs, referenced: false }, clock.now());
  };

  return {
    async acquireLease(request: LeaseRequest): Promise<LeaseResponse> {
      const nowMs = clock.now();
      const leases = leasesOf(request.limiter, request.key, nowMs);
      const inUse = [...leases.values()].reduce((sum, l) => sum + l.cost, 0);
      if (inUse + request.cost > request.limit) {
        const earliest = Math.min(...[...leases.values()].map((l) => l.expiresAtMs));
        saveLeases(request.limiter, request.key, leases);
        return { allowed: false, nowMs, inUse, retryAfterMs: Math.max(0, earliest - nowMs) };
      }
      const leaseId = randomBytes(12).toString('base64url');
      const expiresAtMs = nowMs + request.leaseMs;
      leases.set(leaseId, { expiresAtMs, cost: request.cost });
      saveLeases(request.limiter, request.key, leases);
      return { allowed: true, nowMs, leaseId, expiresAtMs, inUse: inUse + request.cost, retryAfterMs: 0 };
    },
    async releaseLease(handle: LeaseHandle): Promise<boolean> {
      const leases = leasesOf(handle.limiter, handle.key, clock.now());
      const held = leases.delete(handle.leaseId);
      saveLeases(handle.limiter, handle.key, leases);
      return held;
    },
    async extendLease(handle: LeaseHandle, leaseMs: number): Promise<number | undefined> {
      const nowMs = clock.now();
      const leases = leasesOf(handle.limiter, handle.key, nowMs);
      const lease = leases.get(handle.leaseId);
      if (lease) lease.expiresAtMs = nowMs + leaseMs;
      saveLeases(handle.limiter, handle.key, leases);
      return lease?.expiresAtMs;
    },
  };
}
