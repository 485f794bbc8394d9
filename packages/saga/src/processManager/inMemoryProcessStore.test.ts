import { processStoreContract } from '../testing/processStoreContract.js';
import { InMemoryProcessStore } from './inMemoryProcessStore.js';

processStoreContract('InMemoryProcessStore', () => new InMemoryProcessStore());
