// Runs the cache and cache store contracts on LruCache, WTinyLfuCache and MemoryCacheStore under
// node:test with no vitest loaded: spawned by contractsUnderNodeTest.test.ts to prove they need no
// particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Through the published entries; runUnderNodeTest refuses vitest in this process, so this file fails
// to load if `@keel/scaling/testing` (or anything it imports) pulls vitest in.
const { ManualClock, seededRandom } = await import('@keel/core');
const { LruCache, MemoryCacheStore, WTinyLfuCache } = await import('@keel/scaling');
const { cacheContract, cacheStoreContract } = await import('@keel/scaling/testing');

const runner: ContractRunner = { describe, it, beforeEach, afterEach };
const clock = new ManualClock();

cacheStoreContract(
  'MemoryCacheStore',
  { create: () => new MemoryCacheStore({ clock }), advance: async (ms) => void clock.advance(ms) },
  { runner },
);
cacheContract('LruCache', (settings) => new LruCache(settings), { runner });
cacheContract('WTinyLfuCache', (settings) => new WTinyLfuCache({ ...settings, random: seededRandom(1) }), {
  runner,
});
