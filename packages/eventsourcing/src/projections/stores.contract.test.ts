import {
  snapshotStoreContract,
  checkpointStoreContract,
  deadLetterStoreContract,
} from '../testing/storeContracts.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { InMemoryCheckpointStore } from './checkpointStore.js';
import { InMemoryDeadLetterStore } from './deadLetterStore.js';

snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore());
checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore());
deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore());
