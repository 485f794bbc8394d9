import type { ManualClock } from '@keel/core';
import type { IdempotencyStore } from '../idempotency/idempotencyStore.js';

/** How long the contract asks stores to keep results: 24 h, the default of Keel's stores. */
export const CONTRACT_TTL_MS = 86_400_000;

/** What the store under test must be built with. */
export interface IdempotencyStoreContractSettings {
  /** How long the store must keep a completed result, in ms; the suite passes 24 h. */
  readonly ttlMs: number;
}

/**
 * Builds the store under test, empty, on `clock`: the suite moves the clock to expire leases
 * and results, so the store must read time from it. It must keep results for exactly
 * `settings.ttlMs` (24 h, the default of Keel's stores) and then forget them.
 */
export type IdempotencyStoreFactory = (
  clock: ManualClock,
  settings: IdempotencyStoreContractSettings,
) => IdempotencyStore | Promise<IdempotencyStore>;

/** A store under test and the clock it reads. */
export interface Subject {
  readonly store: IdempotencyStore;
  readonly clock: ManualClock;
}

/** Builds a fresh {@link Subject} for one test. */
export type Setup = () => Promise<Subject>;

/** Claims `key` and returns its token; fails the test if the key was not free. */
export async function claimToken(store: IdempotencyStore, key: string, leaseMs = 500): Promise<string> {
  const claim = await store.claim(key, leaseMs);
  if (claim.status !== 'claimed') throw new Error(`expected to claim "${key}" but it was ${claim.status}`);
  return claim.token;
}
