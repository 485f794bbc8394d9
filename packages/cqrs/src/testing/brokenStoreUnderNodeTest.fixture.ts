// Runs the idempotency store contract under node:test against a store that breaks one rule:
// spawned by contractsUnderNodeTest.test.ts to prove the contract's assertions fail it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import type { IdempotencyStore } from '@keel/cqrs';
import { idempotencyStoreContract } from '@keel/cqrs/testing';

/** Breaks the owner-token rule of `release`: it frees a key whatever token it is given. */
function releasingForAnyone(store: IdempotencyStore): IdempotencyStore {
  const holders = new Map<string, string>();
  return {
    claim: async (key, leaseMs, signal) => {
      const claim = await store.claim(key, leaseMs, signal);
      if (claim.status === 'claimed') holders.set(key, claim.token);
      return claim;
    },
    renew: (...args) => store.renew(...args),
    complete: (...args) => store.complete(...args),
    release: (key, token, signal) => store.release(key, holders.get(key) ?? token, signal),
  };
}

idempotencyStoreContract(
  'a store that releases for anyone',
  (clock, { ttlMs }) => releasingForAnyone(new InMemoryIdempotencyStore({ clock, ttlMs })),
  // Cast as in contractsUnderNodeTest.fixture.ts: node:test's types do not fit core's yet.
  { runner: { describe, it, beforeEach, afterEach } },
);
