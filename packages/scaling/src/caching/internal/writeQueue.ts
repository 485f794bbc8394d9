import { toError } from '@keel/core';

/** One write queued by write-behind: the latest `set` or `delete` of its key. */
export type WriteOperation<TKey, TValue> =
  | { readonly type: 'set'; readonly key: TKey; readonly value: TValue; readonly sequence: number }
  | { readonly type: 'delete'; readonly key: TKey; readonly sequence: number };

type Unsequenced<TKey, TValue> =
  | { readonly type: 'set'; readonly key: TKey; readonly value: TValue }
  | { readonly type: 'delete'; readonly key: TKey };

/**
 * The pending writes of a write-behind, one per key (a newer write replaces an older one), and
 * the one-batch-at-a-time flushing that keeps each key's writes in order. A failed batch goes
 * back to the front of the queue, except for keys written again meanwhile: their newer write
 * supersedes it.
 */
export class WriteQueue<TKey, TValue> {
  readonly #flush: (batch: readonly WriteOperation<TKey, TValue>[]) => Promise<void>;
  readonly #maxBatchSize: number;
  #pending = new Map<TKey, WriteOperation<TKey, TValue>>();
  #sequence = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #scheduled = 0;
  /** Failed batches in a row (0 after a success). */
  failures = 0;
  /** The batch of the latest failure. */
  lastFailedBatch: readonly WriteOperation<TKey, TValue>[] = [];

  constructor(
    flush: (batch: readonly WriteOperation<TKey, TValue>[]) => Promise<void>,
    maxBatchSize: number,
  ) {
    this.#flush = flush;
    this.#maxBatchSize = maxBatchSize;
  }

  /** How many keys have a pending write. */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether a batch is being flushed or waits its turn. */
  get busy(): boolean {
    return this.#scheduled > 0;
  }

  get(key: TKey): WriteOperation<TKey, TValue> | undefined {
    return this.#pending.get(key);
  }

  /** Queues `operation`, replacing any pending write of its key (which keeps its place in line). */
  enqueue(operation: Unsequenced<TKey, TValue>): void {
    this.#pending.set(operation.key, { ...operation, sequence: ++this.#sequence });
  }

  /** Flushes the next batch after any batch in flight; resolves the flush error, or undefined. */
  flushNext(): Promise<Error | undefined> {
    this.#scheduled++;
    const run = this.#tail.then(() => this.#flushBatch());
    this.#tail = run;
    return run.finally(() => this.#scheduled--);
  }

  async #flushBatch(): Promise<Error | undefined> {
    const batch = this.#take();
    if (batch.length === 0) return undefined;
    try {
      await this.#flush(batch);
      this.failures = 0;
      return undefined;
    } catch (error) {
      this.failures++;
      this.lastFailedBatch = batch;
      this.#requeue(batch);
      return toError(error);
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
