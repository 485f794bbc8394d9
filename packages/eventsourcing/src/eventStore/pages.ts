import type { RecordedEvent } from './recordedEvent.js';

/**
 * Turns an async iterable of pages into an async iterable of events. Stores implement the
 * paged reads and derive `readStream`/`readAll` with it. Events of a fetched page are handed out
 * from a buffer without going through an async generator per event, which keeps per-event reads
 * cheap.
 *
 * @example
 * ```ts
 * readStream(name, options) { return flattenPages(this.readStreamPages(name, options)); }
 * ```
 */
export function flattenPages(
  pages: AsyncIterable<readonly RecordedEvent[]>,
): AsyncIterableIterator<RecordedEvent> {
  let source: AsyncIterator<readonly RecordedEvent[]> | undefined;
  let page: readonly RecordedEvent[] = [];
  let index = 0;
  let finished = false;
  const pull = async (): Promise<IteratorResult<RecordedEvent>> => {
    source ??= pages[Symbol.asyncIterator]();
    while (index >= page.length) {
      const next = await source.next();
      if (next.done === true) {
        finished = true;
        return { done: true, value: undefined };
      }
      page = next.value;
      index = 0;
    }
    return { done: false, value: page[index++]! };
  };
  const iterator: AsyncIterableIterator<RecordedEvent> = {
    next: () => {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      if (index < page.length) return Promise.resolve({ done: false, value: page[index++]! });
      return pull();
    },
    return: async () => {
      finished = true;
      await source?.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
