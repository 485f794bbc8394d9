import { toError } from '@keel/core';

/** One write queued by write-behind: the latest `set` or `delete` of its key. */
export type WriteOperation<TKey, TValue> =
  | { readonly type: 'set'; readonly key: TKey; readonly value: TValue; readonly sequence: number }
  | { readonly type: 'delete'; readonly key: TKey; readonly sequence: number };

type Unsequenced<TKey, TValue> =
  | { readonly type: 'set'; readonly key: TKey; readonly value: TValue }
  | { readonly type: 'delete'; readonly key: TKey };

/** How a flushed batch ended: `undefined` on success, else the error and the wait before a retry. */
export type BatchFailure = { readonly error: Error; readonly retryInMs: number } | undefined;

/**
 * The pending writes of a write-behind, one per key (a newer write replaces an older one), and
 * the one-batch-at-a-time flushing that keeps each key's writes in order. A failed batch goes
 * back to the front of the queue, except for keys written again meanwhile: their newer write
 * supersedes it.
 *
 * Every flusher (the background timer, `flush()`, `close()`) loops on {@link WriteQueue.next}:
 * it joins the batch in flight, or starts the next one, and stops when nothing is pending or in
 * flight. A flusher never waits on a promise that waits on it, so concurrent flushers cannot
 * chase each other in a loop of microtasks; each of their rounds waits for a real batch.
 */
export class WriteQueue<TKey, TValue> {
  readonly #flush: (batch: readonly WriteOperation<TKey, TValue>[]) => Promise<void>;
  readonly #onFailure: (
    error: Error,
    batch: readonly WriteOperation<TKey, TValue>[],
    attempt: number,
  ) => number;
  readonly #maxBatchSize: number;
  #pending = new Map<TKey, WriteOperation<TKey, TValue>>();
  #sequence = 0;
  #inFlight: Promise<BatchFailure> | undefined;
  /** Failed batches in a row (0 after a success). */
  #failures = 0;

  /**
   * @param flush Writes one batch to the source of truth.
   * @param onFailure Reports a failed batch (once, whoever waits for it) and returns the wait
   *   before retrying it, given how many batches failed in a row.
   */
  constructor(
    flush: (batch: readonly WriteOperation<TKey, TValue>[]) => Promise<void>,
    onFailure: (error: Error, batch: readonly WriteOperation<TKey, TValue>[], attempt: number) => number,
    maxBatchSize: number,
  ) {
    this.#flush = flush;
    this.#onFailure = onFailure;
    this.#maxBatchSize = maxBatchSize;
  }

  /** How many keys have a pending write (not counting the batch in flight). */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether a batch is being flushed. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  get(key: TKey): WriteOperation<TKey, TValue> | undefined {
    return this.#pending.get(key);
  }

  /** Queues `operation`, replacing any pending write of its key (which keeps its place in line). */
  enqueue(operation: Unsequenced<TKey, TValue>): void {
    this.#pending.set(operation.key, { ...operation, sequence: ++this.#sequence });
  }

  /**
   * The batch in flight, or the next batch started now; `undefined` when nothing is pending or
   * in flight. Resolves (never rejects) with the batch's failure, or `undefined` on success.
   */
  next(): Promise<BatchFailure> | undefined {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const batch = this.#take();
    if (batch.length === 0) return undefined;
    const inFlight = this.#flushBatch(batch).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = inFlight;
    return inFlight;
  }

  async #flushBatch(batch: readonly WriteOperation<TKey, TValue>[]): Promise<BatchFailure> {
    try {
      await this.#flush(batch);
      this.#failures = 0;
      return undefined;
    } catch (caught) {
      this.#failures++;
      this.#requeue(batch);
      const error = toError(caught);
      return { error, retryInMs: this.#onFailure(error, batch, this.#failures) };
    }
  }

  #take(): WriteOperation<TKey, TValue>[] {
    const batch: WriteOperation<TKey, TValue>[] = [];
    for (const [key, operation] of this.#pending) {
      if (batch.length === this.#maxBatchSize) break;
      batch.push(operation);
      this.#pending.delete(key);
    }
    return batch;
  }

  #requeue(batch: readonly WriteOperation<TKey, TValue>[]): void {
    const newer = this.#pending;
    this.#pending = new Map();
    for (const operation of batch) if (!newer.has(operation.key)) this.#pending.set(operation.key, operation);
    for (const [key, operation] of newer) this.#pending.set(key, operation);
  }
}
