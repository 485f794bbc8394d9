// Runs the cache store contract under node:test on a store that breaks one rule (delete always
// reports the key present): spawned by contractsUnderNodeTest.test.ts to prove the contract's
// assertions fail.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { MemoryCacheStore } from '@keel/scaling';
import type { CacheStoreOptions } from '@keel/scaling';
import { cacheStoreContract } from '@keel/scaling/testing';

/** Says every deleted key was present, as a store that ignored the server's reply would. */
class AlwaysDeletedStore extends MemoryCacheStore<string, unknown> {
  override async delete(key: string, options?: CacheStoreOptions): Promise<boolean> {
    await super.delete(key, options);
    return true;
  }
}

const runner: ContractRunner = { describe, it, beforeEach, afterEach };
const clock = new ManualClock();

cacheStoreContract(
  'AlwaysDeletedStore',
  { create: () => new AlwaysDeletedStore({ clock }), advance: async (ms) => void clock.advance(ms) },
  { runner },
);
