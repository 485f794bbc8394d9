import { CancelledError, linkedAbortController, yieldToEventLoop } from '@keel/core';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';

/** What {@link ReadAhead.next} hands out: events to handle, then where the source was caught up. */
export interface ReadAheadBatch {
  /** At most `batchSize` events in global order (possibly none when only `caughtUp` is set). */
  readonly events: readonly RecordedEvent[];
  /**
   * Set when the source reported, right after these events, that it had delivered everything
   * up to this position: valid once `events` are handled.
   */
  readonly caughtUp?: number;
}

type Entry = { readonly event: RecordedEvent } | { readonly caughtUp: number };

/**
 * Reads events ahead of the runner, at most one batch beyond the one being handled, and hands
 * out what arrived in the meantime as the next batch. Against a SQL store the next page is thus
 * fetched while the current batch is handled; a source of pages (`readAllPages`) makes every
 * page (up to `batchSize` events) one batch.
 *
 * The source is opened with a signal of its own, aborted by {@link ReadAhead.close}, so a source
 * waiting for new events (a live subscription) is released at once. A source error is thrown by
 * `next()` after the events read before it were handed out.
 */
export class ReadAhead {
  readonly #batchSize: number;
  readonly #queue: Entry[] = [];
  readonly #controller: ReturnType<typeof linkedAbortController>;
  readonly #pump: Promise<void>;
  #buffered = 0;
  #ended = false;
  #closed = false;
  #failure: { readonly error: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  /**
   * @param open Opens the source (events, or pages of events) with the given signal and a
   *   callback for caught-up positions.
   * @param batchSize The most events per batch, and the most read ahead.
   * @param signal Stops the source with its reason.
   */
  constructor(
    open: (
      signal: AbortSignal,
      onCaughtUp: (position: number) => void,
    ) => AsyncIterable<RecordedEvent | readonly RecordedEvent[]>,
    batchSize: number,
    signal: AbortSignal,
  ) {
    this.#batchSize = batchSize;
    this.#controller = linkedAbortController(signal);
    this.#pump = this.#run(() =>
      open(this.#controller.signal, (position) => this.#push({ caughtUp: position })),
    );
  }

  /**
   * Waits for at least one event (or a caught-up mark) and hands out what is buffered, up to
   * `batchSize` events; `undefined` once the source ended.
   *
   * @throws The source's error (e.g. the abort reason) once the events before it were handed out.
   */
  async next(): Promise<ReadAheadBatch | undefined> {
    while (this.#queue.length === 0) {
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
    if (this.#filling()) await yieldToEventLoop();
    const events: RecordedEvent[] = [];
    let caughtUp: number | undefined;
    while (this.#queue.length > 0 && events.length < this.#batchSize) {
      const entry = this.#queue[0]!;
      if ('caughtUp' in entry) {
        this.#queue.shift();
        caughtUp = entry.caughtUp;
        break;
      }
      this.#queue.shift();
      events.push(entry.event);
    }
    this.#buffered -= events.length;
    this.#wake('producer');
    return caughtUp === undefined ? { events } : { events, caughtUp };
  }

  /** Stops reading ahead and releases the source; what is still buffered is dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#controller.abort(new CancelledError('The projection runner stopped reading.'));
    this.#wake('producer');
    await this.#pump;
    this.#controller.dispose();
  }

  async #run(open: () => AsyncIterable<RecordedEvent | readonly RecordedEvent[]>): Promise<void> {
    try {
      for await (const item of open()) {
        const events: readonly RecordedEvent[] = Array.isArray(item) ? item : [item as RecordedEvent];
        for (const event of events) this.#push({ event });
        this.#buffered += events.length;
        while (this.#buffered >= this.#batchSize && !this.#closed) {
          await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
        }
        if (this.#closed) break;
      }
    } catch (error) {
      if (!this.#closed) this.#failure = { error };
    } finally {
      this.#ended = true;
      this.#wake('consumer');
    }
  }

  /**
   * Whether the queue holds less than a batch that the source may still be adding to without
   * waiting: a subscription yields the events of a page it just read one at a time, through
   * promise callbacks, and the first of them wakes the consumer. Handing that one over alone
   * would cost a transaction of its own (under load, every page split into a batch of one event
   * and one of the rest). A caught-up mark says the source has nothing more for now.
   */
  #filling(): boolean {
    return (
      !this.#ended && this.#buffered < this.#batchSize && !this.#queue.some((entry) => 'caughtUp' in entry)
    );
  }

  #push(entry: Entry): void {
    const last = this.#queue.at(-1);
    // A newer caught-up mark right after an older one supersedes it (a quiet live subscription).
    if (last !== undefined && 'caughtUp' in last && 'caughtUp' in entry) this.#queue.pop();
    this.#queue.push(entry);
    this.#wake('consumer');
  }

  #wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.#wakeConsumer : this.#wakeProducer;
    if (who === 'consumer') this.#wakeConsumer = undefined;
    else this.#wakeProducer = undefined;
    wake?.();
  }
}
