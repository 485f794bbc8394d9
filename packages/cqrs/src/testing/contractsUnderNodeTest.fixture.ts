// Runs the cqrs contract suites under node:test, with no vitest loaded: spawned by
// contractsUnderNodeTest.test.ts to prove the contracts need no particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
// Through the published entries: the spawning test refuses every import of vitest, so this file
// fails to load if `@keel/cqrs/testing` (or anything it imports) pulls vitest in.
import { InMemoryIdempotencyStore, InProcessEventTransport } from '@keel/cqrs';
import { eventTransportContract, idempotencyStoreContract } from '@keel/cqrs/testing';

// node:test types a test body as returning `void | Promise<void>` and core's `ContractTest` as
// returning `unknown`, so TypeScript refuses what runs fine; drop the cast once core's type fits.
const runner = { describe, it, beforeEach, afterEach } as ContractRunner;

idempotencyStoreContract(
  'InMemoryIdempotencyStore',
  (clock, { ttlMs }) => new InMemoryIdempotencyStore({ clock, ttlMs }),
  { runner },
);
eventTransportContract('InProcessEventTransport', () => new InProcessEventTransport(), { runner });
