// Runs every eventsourcing contract suite against the in-memory stores under node:test:
// spawned by contractsUnderNodeTest.test.ts (through runUnderNodeTest, which refuses any import
// of vitest in that process) to prove the suites need no particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  InMemoryCheckpointStore,
  InMemoryDeadLetterStore,
  InMemoryEventStore,
  InMemorySnapshotStore,
} from '@keel/eventsourcing';
import {
  checkpointStoreContract,
  deadLetterStoreContract,
  eventStoreContract,
  snapshotStoreContract,
} from '@keel/eventsourcing/testing';

const runner = { describe, it, beforeEach, afterEach };

eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore(), { runner });
snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore(), { runner });
checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore(), { runner });
deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore(), { runner });
