import { abortReason } from '@keel/core';
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

/** Options of {@link pageThrough}. */
export interface PageThroughOptions {
  /** Where the first page starts (a stream version or a global position). */
  readonly from: number;
  /** The most events a page holds. */
  readonly pageSize: number;
  /** The most events in all pages together. @default Infinity */
  readonly maxCount?: number | undefined;
  /** Stops between pages, rejecting with the abort reason. */
  readonly signal?: AbortSignal | undefined;
  /** Where the page after the one ending with `last` starts. */
  readonly nextFrom: (last: RecordedEvent) => number;
}

/**
 * The paging loop every store shares: fetches pages of at most `pageSize` events from `from`
 * until a short page or `maxCount` ends it, checking the signal between pages. Stores supply only
 * how to fetch one page, e.g. one SQL query with `LIMIT`.
 *
 * @example
 * ```ts
 * yield* pageThrough((from, limit) => this.fetchAll(from, limit), {
 *   from: options.fromPosition ?? 0, pageSize: 500, nextFrom: (last) => last.globalPosition + 1,
 * });
 * ```
 */
export async function* pageThrough(
  fetchPage: (from: number, limit: number) => Promise<RecordedEvent[]> | RecordedEvent[],
  options: PageThroughOptions,
): AsyncGenerator<RecordedEvent[]> {
  let remaining = options.maxCount ?? Infinity;
  let from = options.from;
  while (remaining > 0) {
    const limit = Math.min(options.pageSize, remaining);
    const page = await fetchPage(from, limit);
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    remaining -= page.length;
    from = options.nextFrom(page[page.length - 1]!);
    if (options.signal?.aborted) throw abortReason(options.signal);
  }
}
