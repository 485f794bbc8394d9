// Runs the rate-limit store contract on InMemoryRateLimitStore under node:test with no vitest
// loaded: spawned by contractsUnderNodeTest.test.ts to prove it needs no particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';

// Through the published entries; runUnderNodeTest refuses vitest in this process, so this file
// fails to load if `@keel/resilience/testing` (or anything it imports) pulls vitest in.
const { InMemoryRateLimitStore } = await import('@keel/resilience');
const { rateLimitStoreContract } = await import('@keel/resilience/testing');

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

rateLimitStoreContract('InMemoryRateLimitStore', () => new InMemoryRateLimitStore(), { runner });
