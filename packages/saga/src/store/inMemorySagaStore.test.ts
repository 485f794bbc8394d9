import { sagaStoreContract } from '../testing/sagaStoreContract.js';
import { InMemorySagaStore } from './inMemorySagaStore.js';

sagaStoreContract('InMemorySagaStore', () => new InMemorySagaStore());
