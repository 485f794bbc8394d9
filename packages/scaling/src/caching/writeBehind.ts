import {
  abortReason,
  assertOptions,
  KeyedQueue,
  noopLogger,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionString,
  raceAbort,
  systemClock,
  throwIfAborted,
  toError,
  whenAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Defined, Logger, Timer } from '@keel/core';
import type { CacheStoreOptions, CacheWriteTarget } from './cacheStore.js';
import { CacheClosedError } from './cachingErrors.js';
import { WriteQueue } from './internal/writeQueue.js';
import { WriteBehindMeter } from './cacheTelemetry.js';
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
  flushInterval?: number | undefined;
  /** The most operations per batch; this many pending keys start a flush at once. @default 100 */
  maxBatchSize?: number | undefined;
  /** The wait before retrying a failed flush, in ms; doubled after each failure in a row. @default 100 */
  retryDelay?: number | undefined;
  /** The longest wait between retries, in ms (`Infinity`: no cap). @default 30_000 */
  maxRetryDelay?: number | undefined;
  /** Called after each failed flush (the batch is kept and retried). @default undefined */
  onFlushError?:
    ((error: Error, batch: readonly WriteOperation<TKey, TValue>[], attempt: number) => void) | undefined;
  /** Reports failed flushes and cache updates. @default noopLogger */
  logger?: Logger | undefined;
  /** The source of time and timers. @default systemClock */
  clock?: Clock | undefined;
  /** Names this buffer in its metrics (`keel.cache.name`, kind `write-behind`). @default 'default' */
  name?: string | undefined;
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
  /**
   * Flushes every pending write now, joining a batch already in flight (several `flush()` calls,
   * a periodic flush and `close()` may overlap: each waits for the same batches, one at a time).
   * Rejects with the flush error if a batch fails: the batch stays queued and is retried in the
   * background after the backoff. `signal` stops only this caller's wait.
   */
  flush(options?: CacheStoreOptions): Promise<void>;
  /**
   * Stops accepting writes and flushes everything, retrying with backoff until every accepted
   * write is flushed or `signal` aborts (the batch in flight then gets an aborted signal, and the
   * writes stay queued for a later `close()` or `flush()`). Safe to call during a `flush()`.
   */
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
  name: 'default',
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
 * @param options Timing, batching and retry settings; an option left out or `undefined` keeps
 *   its default.
 * @throws ValidationError when an option is out of range or of the wrong kind.
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
  const settings = withDefaults(WRITE_BEHIND_DEFAULTS, options);
  assertOptions('write-behind', {
    cache: optionObject(cache, 'a CacheWriteTarget', ['set', 'delete'], true),
    flush: optionFunction(flush, true),
    flushInterval: optionNumber(settings.flushInterval, { min: 0, exclusiveMin: true }),
    maxBatchSize: optionInteger(settings.maxBatchSize, { min: 1 }),
    retryDelay: optionNumber(settings.retryDelay, { min: 0, exclusiveMin: true }),
    maxRetryDelay: optionNumber(settings.maxRetryDelay, { min: 0, infinity: true }),
    onFlushError: optionFunction(settings.onFlushError),
    logger: optionLogger(settings.logger, { uses: ['warn', 'error'] }),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
    name: optionString(settings.name),
  });
  return new WriteBehindBuffer(cache, flush, settings);
}

type Settings<TKey, TValue> = Readonly<Defined<typeof WRITE_BEHIND_DEFAULTS>> & {
  readonly onFlushError?: WriteBehindOptions<TKey, TValue>['onFlushError'] | undefined;
};

class WriteBehindBuffer<TKey, TValue> implements WriteBehind<TKey, TValue> {
  readonly #cache: CacheWriteTarget<TKey, TValue>;
  readonly #settings: Settings<TKey, TValue>;
  readonly #queue: WriteQueue<TKey, TValue>;
  readonly #cacheUpdates = new KeyedQueue<TKey>();
  readonly #meter: WriteBehindMeter;
  /** Aborted when a `close()` is given up, to stop a flush in flight; renewed once it has. */
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
    this.#meter = new WriteBehindMeter(settings.name, settings.clock);
    this.#queue = new WriteQueue(
      async (batch) => {
        await this.#meter.flush(batch.length, () => flush(batch, { signal: this.#lifetime.signal }));
        this.#meter.pending(this.#queue.size);
      },
      (error, batch, attempt) => this.#onFailure(error, batch, attempt),
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
    const signal = options?.signal;
    throwIfAborted(signal);
    for (let batch = this.#queue.next(); batch !== undefined; batch = this.#queue.next()) {
      const failed = await raceAbort(batch, signal);
      if (failed !== undefined) {
        this.#retryAfter(failed.retryInMs);
        throw failed.error;
      }
    }
  }

  async close(options?: CacheStoreOptions): Promise<void> {
    const signal = options?.signal;
    throwIfAborted(signal);
    this.#closed = true;
    this.#cancelTimer();
    const lifetime = this.#lifetime;
    const stopFollowing =
      signal === undefined ? () => {} : whenAborted(signal, () => lifetime.abort(abortReason(signal)));
    try {
      for (let batch = this.#queue.next(); batch !== undefined; batch = this.#queue.next()) {
        const failed = await raceAbort(batch, signal);
        if (failed !== undefined) await this.#settings.clock.sleep(failed.retryInMs, signal);
      }
    } finally {
      stopFollowing();
      // Batches started from now on get a live signal again (a later close() or flush()).
      if (this.#lifetime === lifetime && lifetime.signal.aborted) this.#lifetime = new AbortController();
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
    this.#meter.pending(this.#queue.size);
    this.#schedule();
    await this.#cacheUpdates.run(key, updateCache).catch(async (error: unknown) => {
      this.#log('warn', 'write-behind cache update failed; the write stays queued', { key, error });
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

  /** The background flusher: batch after batch until none is left, `close()` takes over, or one fails. */
  async #drainAll(): Promise<void> {
    while (!this.#closed) {
      const batch = this.#queue.next();
      if (batch === undefined) return;
      const failed = await batch;
      if (failed === undefined) continue;
      this.#retryAfter(failed.retryInMs);
      return;
    }
  }

  /** Holds background flushing back for `delay` ms after a failure, then drains again. */
  #retryAfter(delay: number): void {
    if (this.#closed || this.#backingOff) return;
    this.#cancelTimer();
    this.#backingOff = true;
    this.#timer = this.#settings.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#backingOff = false;
      this.#drain();
    }, delay);
  }

  /** Reports a failed batch (once, whoever waits for it); returns how long to wait before the next attempt. */
  #onFailure(error: Error, batch: readonly WriteOperation<TKey, TValue>[], attempt: number): number {
    const { retryDelay, maxRetryDelay, onFlushError } = this.#settings;
    const delay = Math.min(maxRetryDelay, retryDelay * 2 ** Math.min(attempt - 1, 52));
    this.#meter.pending(this.#queue.size);
    this.#log('warn', 'write-behind flush failed; the batch stays queued', {
      error,
      attempt,
      retryInMs: delay,
    });
    try {
      onFlushError?.(error, batch, attempt);
    } catch (callbackError) {
      this.#log('error', 'write-behind onFlushError threw', { error: toError(callbackError) });
    }
    return delay;
  }

  /** Logs; a throwing logger must not break flushing or lose a write. */
  #log(level: 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    try {
      this.#settings.logger[level](message, fields);
    } catch {
      // The write path never fails because of its logger.
    }
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
