// Runs the cache store contract on MemoryCacheStore under node:test with no vitest loaded:
// spawned by contractsUnderNodeTest.test.ts to prove it needs no particular test runner.
import './refuseVitest.fixture.js';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Imported after the hook that refuses vitest, through the published entries: this file fails
// to load if `@keel/scaling/testing` (or anything it imports) pulls vitest in.
const { ManualClock } = await import('@keel/core');
const { MemoryCacheStore } = await import('@keel/scaling');
const { cacheStoreContract } = await import('@keel/scaling/testing');

// The cast: node:test's `it` takes `() => void | Promise<void>`, narrower than core's
// `ContractTest` (`() => unknown`); drop it once core's type matches the runners'.
const runner = { describe, it, beforeEach, afterEach } as ContractRunner;
const clock = new ManualClock();

cacheStoreContract(
  'MemoryCacheStore',
  { create: () => new MemoryCacheStore({ clock }), advance: async (ms) => void clock.advance(ms) },
  { runner },
);
