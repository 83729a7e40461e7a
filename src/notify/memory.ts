/**
 * The memory {@link NotifyStore}: the default, for one process and for tests. It keeps the real
 * semantics under its clock (claims lapse at their instant, digest buffers and records expire), so the
 * same contract suite passes on it and on Redis.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { canMove, GC_GRACE_MS } from './constants.js';
import type { ChannelKind } from './provider.js';
import type {
  ClaimReply,
  DeliveryRecord,
  DeliveryRef,
  NotifyStore,
  Preference,
  ReputationCounts,
  Suppression,
} from './types.js';

/** Options of {@link createMemoryNotifyStore}. */
export interface MemoryNotifyStoreOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
}

/** The memory store; `size()` counts live entries of every kind (for leak tests). */
export interface MemoryNotifyStore extends NotifyStore {
  size(): number;
}

const parseOptions = defineOptions('createMemoryNotifyStore', { clock: opt.clock() });

interface Expiring<T> {
  value: T;
  expiresAtMs: number;
}

interface Claim {
  fingerprint: string;
  token: string;
  /** In progress until this instant; `resultJson` set means done. */
  untilMs: number;
  resultJson?: string;
}

/** A map whose entries vanish at their instant (checked on read, swept on write). */
class ExpiringMap<T> {
  private readonly map = new Map<string, Expiring<T>>();
  constructor(private readonly clock: Clock) {}
  get(key: string): T | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.clock.now()) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: T, ttlMs: number): void {
    this.map.set(key, { value, expiresAtMs: this.clock.now() + ttlMs });
  }
  /** Replaces a live entry's value, keeping its expiry; false when there is none. */
  replace(key: string, value: T): boolean {
    const entry = this.map.get(key);
    if (entry === undefined || entry.expiresAtMs <= this.clock.now()) return false;
    entry.value = value;
    return true;
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  size(): number {
    const now = this.clock.now();
    for (const [key, entry] of this.map) if (entry.expiresAtMs <= now) this.map.delete(key);
    return this.map.size;
  }
}

const prefField = (channel: string, category: string) => `${channel}\u0000${category}`;
const supKey = (channel: ChannelKind, recipient: string) => `${channel}\u0000${recipient}`;
const pmKey = (provider: string, providerMessageId: string) => `${provider}\u0000${providerMessageId}`;

/** Preferences and suppressions: they never expire. */
function preferenceParts(clock: Clock) {
  const prefs = new Map<string, Map<string, Preference>>();
  const suppressions = new Map<string, Suppression>();
  const part: Pick<
    NotifyStore,
    'setPreference' | 'getPreferences' | 'suppress' | 'getSuppression' | 'unsuppress'
  > = {
    async setPreference({ userId, channel, category, optedOut }) {
      const user = prefs.get(userId) ?? new Map<string, Preference>();
      prefs.set(userId, user);
      user.set(prefField(channel, category), { channel, category, optedOut });
    },
    async getPreferences(userId) {
      return [...(prefs.get(userId)?.values() ?? [])];
    },
    async suppress({ channel, recipient, reason }) {
      suppressions.set(supKey(channel, recipient), { channel, recipient, reason, atMs: clock.now() });
    },
    async getSuppression(channel, recipient) {
      return suppressions.get(supKey(channel, recipient));
    },
    async unsuppress(channel, recipient) {
      return suppressions.delete(supKey(channel, recipient));
    },
  };
  return { part, size: () => prefs.size + suppressions.size };
}

function claimParts(clock: Clock) {
  const claims = new ExpiringMap<Claim>(clock);
  const part: Pick<NotifyStore, 'claimIdempotency' | 'completeIdempotency' | 'releaseIdempotency'> = {
    async claimIdempotency({ key, fingerprint, token, ttlMs }): Promise<ClaimReply> {
      const now = clock.now();
      const held = claims.get(key);
      if (held && held.untilMs > now) {
        if (held.fingerprint !== fingerprint) return { status: 'mismatch' };
        return held.resultJson !== undefined
          ? { status: 'done', resultJson: held.resultJson }
          : { status: 'in-progress', expiresAtMs: held.untilMs };
      }
      claims.set(key, { fingerprint, token, untilMs: now + ttlMs }, ttlMs + GC_GRACE_MS);
      return { status: 'claimed' };
    },
    async completeIdempotency({ key, token, resultJson, ttlMs }) {
      // A lapsed claim nobody took yet may still complete: its send happened, so record it.
      const held = claims.get(key);
      if (!held || held.token !== token || held.resultJson !== undefined) return false;
      claims.set(key, { ...held, resultJson, untilMs: clock.now() + ttlMs }, ttlMs + GC_GRACE_MS);
      return true;
    },
    async releaseIdempotency({ key, token }) {
      const held = claims.get(key);
      if (!held || held.token !== token || held.resultJson !== undefined) return false;
      return claims.delete(key);
    },
  };
  return { part, size: () => claims.size() };
}

function deliveryParts(clock: Clock) {
  const records = new ExpiringMap<DeliveryRecord>(clock);
  const index = new ExpiringMap<string>(clock);
  const resolve = (ref: DeliveryRef) =>
    'messageId' in ref ? ref.messageId : index.get(pmKey(ref.provider, ref.providerMessageId));
  const part: Pick<NotifyStore, 'putDelivery' | 'getDelivery' | 'updateDelivery'> = {
    async putDelivery({ ttlMs, ...fields }) {
      const now = clock.now();
      records.set(fields.messageId, { ...fields, status: 'sent', createdAtMs: now, updatedAtMs: now }, ttlMs);
      index.set(pmKey(fields.provider, fields.providerMessageId), fields.messageId, ttlMs);
    },
    async getDelivery(ref) {
      const id = resolve(ref);
      return id === undefined ? undefined : records.get(id);
    },
    async updateDelivery({ ref, status, atMs, reason }) {
      const id = resolve(ref);
      const record = id === undefined ? undefined : records.get(id);
      if (id === undefined || record === undefined) return { outcome: 'unknown' };
      if (!canMove(record.status, status)) return { outcome: 'ignored', record };
      const updated: DeliveryRecord = { ...record, status, updatedAtMs: atMs, ...(reason ? { reason } : {}) };
      // The record keeps its remaining lifetime: an event does not extend it.
      records.replace(id, updated);
      return { outcome: 'updated', record: updated };
    },
  };
  return { part, size: () => records.size() + index.size() };
}

interface Buffer {
  items: string[];
  count: number;
}

function digestParts(clock: Clock) {
  const buffers = new ExpiringMap<Buffer>(clock);
  const reputation = new ExpiringMap<ReputationCounts>(clock);
  const bucketKey = (windowMs: number, offset: number) =>
    `${windowMs}:${Math.floor(clock.now() / windowMs) - offset}`;
  const part: Pick<NotifyStore, 'appendDigest' | 'takeDigest' | 'addReputation' | 'reputation'> = {
    async appendDigest({ key, itemJson, maxItems, ttlMs }) {
      const buffer = buffers.get(key);
      if (!buffer) {
        buffers.set(key, { items: [itemJson], count: 1 }, ttlMs);
        return { first: true, count: 1 };
      }
      buffer.count++;
      if (buffer.items.length < maxItems) buffer.items.push(itemJson);
      return { first: false, count: buffer.count };
    },
    async takeDigest(key) {
      const buffer = buffers.get(key);
      buffers.delete(key);
      return buffer ? { items: buffer.items, count: buffer.count } : { items: [], count: 0 };
    },
    async addReputation({ sent, complained, windowMs }) {
      const key = bucketKey(windowMs, 0);
      const current = reputation.get(key) ?? { sent: 0, complained: 0 };
      reputation.set(
        key,
        { sent: current.sent + sent, complained: current.complained + complained },
        2 * windowMs,
      );
    },
    async reputation(windowMs) {
      const a = reputation.get(bucketKey(windowMs, 0));
      const b = reputation.get(bucketKey(windowMs, 1));
      return {
        sent: (a?.sent ?? 0) + (b?.sent ?? 0),
        complained: (a?.complained ?? 0) + (b?.complained ?? 0),
      };
    },
  };
  return { part, size: () => buffers.size() + reputation.size() };
}

/**
 * Creates a memory store.
 *
 * @example
 * ```ts
 * import { createManualClock } from 'backend-patterns/testing';
 * const store = createMemoryNotifyStore({ clock: createManualClock(Date.UTC(2026, 0, 1)) });
 * ```
 */
export function createMemoryNotifyStore(options: MemoryNotifyStoreOptions = {}): MemoryNotifyStore {
  const { clock } = parseOptions(options);
  const prefs = preferenceParts(clock);
  const claims = claimParts(clock);
  const deliveries = deliveryParts(clock);
  const digests = digestParts(clock);
  const parts = [prefs, claims, deliveries, digests];
  return {
    kind: 'memory',
    ...prefs.part,
    ...claims.part,
    ...deliveries.part,
    ...digests.part,
    size: () => parts.reduce((n, p) => n + p.size(), 0),
  };
}
