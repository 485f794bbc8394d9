import type { EventStore } from '../eventStore/eventStore.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';

/** The wallet fixture's opening event. */
export const opened = { type: 'Opened', data: { owner: 'Ada' } } as const;

/** A store where a rival deposit of 1 sneaks in before each of the first `rivals` appends. */
export function racingStore(rivals: number): EventStore & { inner: InMemoryEventStore; attempts: number } {
  const inner = new InMemoryEventStore();
  let left = rivals;
  const store = {
    inner,
    attempts: 0,
    readStream: inner.readStream.bind(inner),
    readAll: inner.readAll.bind(inner),
    readStreamPages: inner.readStreamPages.bind(inner),
    readAllPages: inner.readAllPages.bind(inner),
    streamVersion: inner.streamVersion.bind(inner),
    headPosition: inner.headPosition.bind(inner),
    subscribeToAll: inner.subscribeToAll.bind(inner),
    subscribeToStream: inner.subscribeToStream.bind(inner),
    async appendToStream(...args: Parameters<EventStore['appendToStream']>) {
      store.attempts++;
      if (left-- > 0) {
        const rival =
          (await inner.streamVersion(args[0])) === 0 ? opened : { type: 'Deposited', data: { amount: 1 } };
        await inner.appendToStream(args[0], [rival]);
      }
      return inner.appendToStream(...args);
    },
  };
  return store;
}
