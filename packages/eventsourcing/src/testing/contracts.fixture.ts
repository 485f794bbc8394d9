// Runs every eventsourcing contract suite against the in-memory stores under node:test, with
// no vitest loaded: spawned by contractsUnderNodeTest.test.ts to prove the suites need no
// particular test runner.
import { afterEach, beforeEach, describe, it } from 'node:test';

// Through the published entries; runUnderNodeTest refuses vitest in this process, so this file fails to load if
// they (or anything they import) pull vitest in.
const { InMemoryCheckpointStore, InMemoryDeadLetterStore, InMemoryEventStore, InMemorySnapshotStore } =
  await import('@keel/eventsourcing');
const { checkpointStoreContract, deadLetterStoreContract, eventStoreContract, snapshotStoreContract } =
  await import('@keel/eventsourcing/testing');

const runner = { describe, it, beforeEach, afterEach };

eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore(), { runner });
snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore(), { runner });
checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore(), { runner });
deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore(), { runner });
