import { noopLogger, raceAbort, systemClock, throwIfAborted, toError } from '@keel/core';
import type { Clock, Logger, Timer } from '@keel/core';
import type { CacheStoreOptions, CacheWriteTarget } from './cacheStore.js';
import { CacheClosedError } from './errors.js';
import { KeyedMutex } from './internal/keyedMutex.js';
import {
  checkOptions,
  definedOnly,
  isDuration,
  isPositiveFinite,
  isPositiveInteger,
  optional,
} from './internal/validate.js';
import { WriteQueue } from './internal/writeQueue.js';
import type { WriteOperation } from './internal/writeQueue.js';

export type { WriteOperation } from './internal/writeQueue.js';

/** Writes one batch of operations to the source of truth; gets a signal aborted when `close()` is given up. */
export type WriteBehindFlush<TKey, TValue> = (
  batch: readonly WriteOperation<TKey, TValue>[],
  context: { readonly signal: AbortSignal },
) => Promise<void>;

/** Options of {@link createWriteBehind}. */
export interface WriteBehindOptions<TKey, TValue> {
  /** How long the first accepted write waits before a flush starts, in ms. @default 1_000 */
  flushInterval?: number;
  /** The most operations per batch; this many pending keys start a flush at once. @default 100 */
  maxBatchSize?: number;
  /** The wait before retrying a failed flush, in ms; doubled after each failure in a row. @default 100 */
  retryDelay?: number;
  /** The longest wait between retries, in ms. @default 30_000 */
  maxRetryDelay?: number;
  /** Called after each failed flush (the batch is kept and retried). @default undefined */
  onFlushError?: (error: Error, batch: readonly WriteOperation<TKey, TValue>[], attempt: number) => void;
  /** Reports failed flushes and cache updates. @default noopLogger */
  logger?: Logger;
  /** The source of time and timers. @default systemClock */
  clock?: Clock;
}

/** A write-behind buffer; see {@link createWriteBehind}. */
export interface WriteBehind<TKey, TValue> extends AsyncDisposable {
  /**
   * Queues the write for the source and updates the cache; resolves once the cache holds it.
   * `signal` is checked before the write is accepted; an accepted write is never abandoned.
   * @throws CacheClosedError after `close()` began.
   */
  set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void>;
  /** Removes `key` from the cache now and queues its removal from the source. */
  delete(key: TKey, options?: CacheStoreOptions): Promise<void>;
  /** Flushes every pending write now; rejects with the flush error if a batch fails (it stays queued). */
  flush(options?: CacheStoreOptions): Promise<void>;
  /** Stops accepting writes and flushes everything, retrying with backoff until done or `signal` aborts. */
  close(options?: CacheStoreOptions): Promise<void>;
  /** The queued operation of `key` not yet flushed, if any (to read your own writes). */
  pendingWrite(key: TKey): WriteOperation<TKey, TValue> | undefined;
  /** How many keys have a write not yet flushed. */
  readonly pending: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
}

/** The defaults of {@link createWriteBehind}'s options. */
export const WRITE_BEHIND_DEFAULTS = Object.freeze({
  flushInterval: 1_000,
  maxBatchSize: 100,
  retryDelay: 100,
  maxRetryDelay: 30_000,
  logger: noopLogger,
  clock: systemClock,
});

/**
 * Creates a write-behind cache: writes update the cache at once and reach the source of truth
 * later, in batches, coalesced per key (only a key's latest write is sent). A flush starts
 * `flushInterval` after the first pending write or as soon as `maxBatchSize` keys are pending.
 * A failed batch is retried with exponential backoff and never dropped; a write of the same key
 * accepted meanwhile supersedes it. One batch is in flight at a time, so the source sees each
 * key's writes in the order they were accepted (at least once). `close()` flushes everything.
 *
 * @param cache The cache updated on every write (a `CacheStore` or a cache-aside).
 * @param flush Writes a batch to the source of truth.
 * @throws ValidationError when an option is out of range.
 * @example
 * ```ts
 * await using writes = createWriteBehind(store, (batch) => db.saveAll(batch), { flushInterval: 500 });
 * await writes.set('counter:42', 7);
 * ```
 */
export function createWriteBehind<TKey, TValue>(
  cache: CacheWriteTarget<TKey, TValue>,
  flush: WriteBehindFlush<TKey, TValue>,
  options: WriteBehindOptions<TKey, TValue> = {},
): WriteBehind<TKey, TValue> {
  checkOptions('write-behind options', [
    [
      'flushInterval',
      optional(options.flushInterval, isPositiveFinite),
      'a duration in ms > 0',
      options.flushInterval,
    ],
    [
      'maxBatchSize',
      optional(options.maxBatchSize, isPositiveInteger),
      'a positive integer',
      options.maxBatchSize,
    ],
    [
      'retryDelay',
      optional(options.retryDelay, isPositiveFinite),
      'a duration in ms > 0',
      options.retryDelay,
    ],
    [
      'maxRetryDelay',
      optional(options.maxRetryDelay, isDuration),
      'a duration in ms >= 0',
      options.maxRetryDelay,
    ],
  ]);
  return new WriteBehindBuffer(cache, flush, { ...WRITE_BEHIND_DEFAULTS, ...definedOnly(options) });
}

type Settings<TKey, TValue> = Required<Omit<WriteBehindOptions<TKey, TValue>, 'onFlushError'>> & {
  onFlushError?: WriteBehindOptions<TKey, TValue>['onFlushError'] | undefined;
};

class WriteBehindBuffer<TKey, TValue> implements WriteBehind<TKey, TValue> {
  readonly #cache: CacheWriteTarget<TKey, TValue>;
  readonly #settings: Settings<TKey, TValue>;
  readonly #queue: WriteQueue<TKey, TValue>;
  readonly #cacheUpdates = new KeyedMutex<TKey>();
  /** Aborted when a `close()` is given up, to stop a flush in flight; renewed by the next `close()`. */
  #lifetime = new AbortController();
  #timer: Timer | undefined;
  #backingOff = false;
  #draining = false;
  #closed = false;

  constructor(
    cache: CacheWriteTarget<TKey, TValue>,
    flush: WriteBehindFlush<TKey, TValue>,
    settings: Settings<TKey, TValue>,
  ) {
    this.#cache = cache;
    this.#settings = settings;
    this.#queue = new WriteQueue(
      (batch) => flush(batch, { signal: this.#lifetime.signal }),
      settings.maxBatchSize,
    );
  }

  get pending(): number {
    return this.#queue.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  pendingWrite(key: TKey): WriteOperation<TKey, TValue> | undefined {
    return this.#queue.get(key);
  }

  set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void> {
    return this.#accept(key, { type: 'set', key, value }, () => this.#cache.set(key, value), options?.signal);
  }

  delete(key: TKey, options?: CacheStoreOptions): Promise<void> {
    return this.#accept(key, { type: 'delete', key }, () => this.#cache.delete(key), options?.signal);
  }

  async flush(options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    while (this.#queue.size > 0 || this.#queue.busy) {
      const error = await raceAbort(this.#queue.flushNext(), options?.signal);
      if (error !== undefined) {
        this.#retryAfter(this.#onFailure(error));
        throw error;
      }
    }
  }

  async close(options?: CacheStoreOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#closed = true;
    this.#cancelTimer();
    if (this.#lifetime.signal.aborted) this.#lifetime = new AbortController();
    const onAbort = (): void => this.#lifetime.abort(options?.signal?.reason);
    options?.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (this.#queue.size > 0 || this.#queue.busy) {
        const error = await raceAbort(this.#queue.flushNext(), options?.signal);
        if (error !== undefined) await this.#settings.clock.sleep(this.#onFailure(error), options?.signal);
      }
    } finally {
      options?.signal?.removeEventListener('abort', onAbort);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(
    key: TKey,
    operation: { type: 'set'; key: TKey; value: TValue } | { type: 'delete'; key: TKey },
    updateCache: () => Promise<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    throwIfAborted(signal);
    if (this.#closed) throw new CacheClosedError('write-behind');
    this.#queue.enqueue(operation);
    this.#schedule();
    await this.#cacheUpdates.run(key, updateCache).catch(async (error: unknown) => {
      this.#settings.logger.warn('write-behind cache update failed; the write stays queued', { key, error });
      await this.#cache.delete(key).catch(() => undefined);
      throw error;
    });
  }

  /** Arms the interval timer, or starts draining at once when a full batch is waiting. */
  #schedule(): void {
    if (this.#closed || this.#draining || this.#backingOff || this.#queue.size === 0) return;
    if (this.#queue.size >= this.#settings.maxBatchSize) this.#drain();
    else this.#timer ??= this.#settings.clock.setTimeout(() => this.#drain(), this.#settings.flushInterval);
  }

  #drain(): void {
    if (this.#draining) return;
    this.#cancelTimer();
    this.#draining = true;
    void this.#drainAll().finally(() => {
      this.#draining = false;
      this.#schedule();
    });
  }

  async #drainAll(): Promise<void> {
    while (this.#queue.size > 0 && !this.#closed) {
      const error = await this.#queue.flushNext();
      if (error === undefined) continue;
      this.#retryAfter(this.#onFailure(error));
      return;
    }
  }

  /** Holds background flushing back for `delay` ms after a failure, then drains again. */
  #retryAfter(delay: number): void {
    if (this.#closed || this.#backingOff) return;
    this.#cancelTimer();
    this.#backingOff = true;
    this.#timer = this.#settings.clock.setTimeout(() => {
      this.#backingOff = false;
      this.#drain();
    }, delay);
  }

  /** Reports a failed batch; returns how long to wait before the next attempt. */
  #onFailure(error: Error): number {
    const { retryDelay, maxRetryDelay, logger, onFlushError } = this.#settings;
    const attempt = this.#queue.failures;
    const delay = Math.min(maxRetryDelay, retryDelay * 2 ** Math.min(attempt - 1, 52));
    logger.warn('write-behind flush failed; the batch stays queued', { error, attempt, retryInMs: delay });
    try {
      onFlushError?.(error, this.#queue.lastFailedBatch, attempt);
    } catch (callbackError) {
      logger.error('write-behind onFlushError threw', { error: toError(callbackError) });
    }
    return delay;
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
