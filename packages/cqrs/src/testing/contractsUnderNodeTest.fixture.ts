// Runs the cqrs contract suites under node:test, with no vitest loaded: spawned by
// contractsUnderNodeTest.test.ts to prove the contracts need no particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
// Through the published entries: the spawning test refuses every import of vitest, so this file
// fails to load if `@keel/cqrs/testing` (or anything it imports) pulls vitest in.
import { InMemoryIdempotencyStore, InProcessEventTransport } from '@keel/cqrs';
import { eventTransportContract, idempotencyStoreContract } from '@keel/cqrs/testing';

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

idempotencyStoreContract(
  'InMemoryIdempotencyStore',
  (clock, { ttlMs }) => new InMemoryIdempotencyStore({ clock, ttlMs }),
  { runner },
);
eventTransportContract('InProcessEventTransport', () => new InProcessEventTransport(), { runner });
