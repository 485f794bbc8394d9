// Runs the saga and process store contracts on the in-memory stores under node:test with no
// vitest loaded: spawned by contractsUnderNodeTest.test.ts to prove they need no particular
// test runner.
import './refuseVitest.fixture.js';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Imported after the hook that refuses vitest, through the published entries: this file fails
// to load if `@keel/saga/testing` (or anything it imports) pulls vitest in.
const { InMemoryProcessStore, InMemorySagaStore } = await import('@keel/saga');
const { processStoreContract, sagaStoreContract } = await import('@keel/saga/testing');

// The cast: node:test's `it` takes `() => void | Promise<void>`, narrower than core's
// `ContractTest` (`() => unknown`); drop it once core's type matches the runners'.
const runner = { describe, it, beforeEach, afterEach } as ContractRunner;

sagaStoreContract('InMemorySagaStore', () => new InMemorySagaStore(), { runner });
processStoreContract('InMemoryProcessStore', () => new InMemoryProcessStore(), { runner });
