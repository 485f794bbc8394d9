// Runs the saga and process store contracts on the in-memory stores under node:test with no
// vitest loaded: spawned by contractsUnderNodeTest.test.ts to prove they need no particular
// test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Through the published entries; runUnderNodeTest refuses vitest in this process, so this file fails
// to load if `@keel/saga/testing` (or anything it imports) pulls vitest in.
const { InMemoryProcessStore, InMemorySagaStore } = await import('@keel/saga');
const { processStoreContract, sagaStoreContract } = await import('@keel/saga/testing');

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

sagaStoreContract('InMemorySagaStore', () => new InMemorySagaStore(), { runner });
processStoreContract('InMemoryProcessStore', () => new InMemoryProcessStore(), { runner });
