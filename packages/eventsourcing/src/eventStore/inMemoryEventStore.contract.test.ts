import { eventStoreContract } from '../testing/eventStoreContract.js';
import { InMemoryEventStore } from './inMemoryEventStore.js';

eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore());
eventStoreContract('InMemoryEventStore with a page size of 1', () => new InMemoryEventStore({ pageSize: 1 }));
eventStoreContract(
  'InMemoryEventStore with an async inline projection',
  () => new InMemoryEventStore({ inlineProjections: [{ name: 'async', apply: () => Promise.resolve() }] }),
);
