import { NEVER_ABORTED, raceAbort, throwIfAborted } from '@keel/core';
import type { RecordedEvent } from './recordedEvent.js';

/** A wait for the next append, armed before a read so no append is missed in between. */
export interface AppendWatch {
  /** Resolves once an append happened after the watch was created (at once if one already did). */
  wait(signal: AbortSignal): Promise<void>;
  /** Releases the watch. */
  dispose(): void;
}

/**
 * What {@link catchUpSubscription} needs from a store: paged reads by a numeric cursor (a
 * global position or a stream version) and a way to wait for appends (an in-process
 * notification, `LISTEN/NOTIFY`, or a polling sleep).
 */
export interface CatchUpSource {
  /** Reads up to `limit` events whose cursor is `>= from`, in cursor order. */
  readPage(from: number, limit: number, signal: AbortSignal): Promise<readonly RecordedEvent[]>;
  /** The cursor of an event. */
  cursorOf(event: RecordedEvent): number;
  /**
   * The highest cursor that exists now. With filtered reads, lets the subscription skip past
   * events that do not match instead of rescanning them. A SQL store must return a position
   * below which no writer is still committing (sequences commit out of order), and `readPage`
   * must not return events beyond it, or a subscriber could skip a late commit.
   */
  head?(signal: AbortSignal): Promise<number>;
  /** Arms a wait for the next append. */
  watch(): AppendWatch;
}

/** Options of {@link catchUpSubscription}. */
export interface CatchUpOptions {
  /** The first cursor to deliver (inclusive). */
  from: number;
  /** Events per page. */
  pageSize: number;
  /** Stops the subscription with the abort reason. */
  signal?: AbortSignal | undefined;
  /** Called with the last cursor covered each time the subscription runs out of events. */
  onCaughtUp?: ((position: number) => void) | undefined;
}

/**
 * A catch-up subscription over any {@link CatchUpSource}: delivers history page by page, then
 * live events. It never holds events in a buffer of its own: live events are read back from
 * the store by cursor, and the append watch is armed before each read, so an append racing
 * the hand-over is either in the page or wakes the wait. Hence no gap and no repeat.
 *
 * Store implementations use it to build `subscribeToAll` and `subscribeToStream`.
 *
 * @example
 * ```ts
 * for await (const event of catchUpSubscription(source, { from: 1, pageSize: 500, signal })) handle(event);
 * ```
 */
export async function* catchUpSubscription(
  source: CatchUpSource,
  options: CatchUpOptions,
): AsyncGenerator<RecordedEvent, void, undefined> {
  const signal = options.signal ?? NEVER_ABORTED;
  throwIfAborted(signal);
  let from = options.from;
  for (;;) {
    throwIfAborted(signal);
    const watch = source.watch();
    try {
      const head = source.head === undefined ? undefined : await source.head(signal);
      const page = await source.readPage(from, options.pageSize, signal);
      for (const event of page) {
        from = source.cursorOf(event) + 1;
        yield event;
        throwIfAborted(signal);
      }
      if (page.length === options.pageSize) continue;
      // A short page holds every matching event up to `head`: the rest there did not match.
      if (head !== undefined && head >= from) from = head + 1;
      if (page.length > 0) continue;
      options.onCaughtUp?.(from - 1);
      throwIfAborted(signal);
      await raceAbort(watch.wait(signal), signal);
    } finally {
      watch.dispose();
    }
  }
}
