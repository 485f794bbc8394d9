import type { ManualClock } from '@keel/core';
import { expect } from 'vitest';
import type { PostgresIdempotencyStore } from './postgresIdempotencyStore.js';

async function tokenOf(store: PostgresIdempotencyStore, key: string, leaseMs: number): Promise<string> {
  const claim = await store.claim(key, leaseMs);
  if (claim.status !== 'claimed') throw new Error(`"${key}" was ${claim.status}`);
  return claim.token;
}

/**
 * Test support: with `store` keeping results for 1 000 ms on `clock`, leaves an old result, an
 * abandoned claim and a live claim, and checks `purgeExpired` deletes the first two only.
 */
export async function expectPurged(store: PostgresIdempotencyStore, clock: ManualClock): Promise<void> {
  await store.complete('old', await tokenOf(store, 'old', 500), 1);
  await tokenOf(store, 'abandoned', 100);
  clock.advance(1_000);
  await tokenOf(store, 'live', 500);
  expect(await store.purgeExpired()).toBe(2);
  expect((await store.claim('old', 500)).status).toBe('claimed');
  expect(await store.claim('live', 500)).toEqual({ status: 'pending' });
}
