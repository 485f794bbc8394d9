// Runs the cache store contract on MemoryCacheStore under node:test with no vitest loaded:
// spawned by contractsUnderNodeTest.test.ts to prove it needs no particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Through the published entries; runUnderNodeTest refuses vitest in this process, so this file fails
// to load if `@keel/scaling/testing` (or anything it imports) pulls vitest in.
const { ManualClock } = await import('@keel/core');
const { MemoryCacheStore } = await import('@keel/scaling');
const { cacheStoreContract } = await import('@keel/scaling/testing');

const runner: ContractRunner = { describe, it, beforeEach, afterEach };
const clock = new ManualClock();

cacheStoreContract(
  'MemoryCacheStore',
  { create: () => new MemoryCacheStore({ clock }), advance: async (ms) => void clock.advance(ms) },
  { runner },
);
