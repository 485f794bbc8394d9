import {
  assertOptions,
  noopLogger,
  optionFunction,
  KeyedQueue,
  linkedAbortController,
  optionLogger,
  optionObject,
  raceAbort,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Logger } from '@keel/core';
import type { CacheStoreOptions, CacheWriteTarget } from './cacheStore.js';

/** Writes or removes a key in the source of truth; gets a signal to stop early. */
export type CacheWriter<TKey, TValue> = (
  key: TKey,
  value: TValue,
  context: { readonly signal: AbortSignal },
) => Promise<void>;

/** Options of {@link createWriteThrough}. */
export interface WriteThroughOptions<TKey> {
  /** Removes a key from the source of truth; without it `delete()` only invalidates the cache. @default undefined */
  remove?: ((key: TKey, context: { readonly signal: AbortSignal }) => Promise<void>) | undefined;
  /** Reports cache updates that failed after the source was written (the key is then invalidated). @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link createWriteThrough}'s options. */
export const WRITE_THROUGH_DEFAULTS = Object.freeze({ logger: noopLogger });

/** Writes that reach the source of truth and the cache together; see {@link createWriteThrough}. */
export interface WriteThrough<TKey, TValue> {
  /** Writes `value` to the source, then to the cache; rejects (and invalidates the cache) if the source write fails. */
  set(key: TKey, value: TValue, options?: CacheStoreOptions): Promise<void>;
  /**
   * Removes `key` from the source (when `remove` is given), then from the cache. If the source
   * removal fails, the cached key is still dropped (the source may or may not have deleted it)
   * and the removal's error is rethrown.
   */
  delete(key: TKey, options?: CacheStoreOptions): Promise<void>;
}

/**
 * Creates a write-through cache: every write goes to the source of truth first and, once it
 * succeeded, to the cache, so the cache never holds a value the source rejected. Writes of one
 * key are applied in call order (a later write never lands in the cache before an earlier one).
 *
 * @param cache The cache to keep in step: a `CacheStore`, or a cache-aside to share its entries.
 * @param write Writes a value to the source of truth.
 * @param options `remove` and `logger`; an option left out or `undefined` keeps its default.
 * @throws ValidationError when `cache`, `write` or an option is of the wrong kind.
 * @example
 * ```ts
 * const users = createCacheAside(store, loadUser);
 * const writes = createWriteThrough(users, (id, user, { signal }) => db.saveUser(id, user, signal));
 * await writes.set('u1', user);
 * ```
 */
export function createWriteThrough<TKey, TValue>(
  cache: CacheWriteTarget<TKey, TValue>,
  write: CacheWriter<TKey, TValue>,
  options: WriteThroughOptions<TKey> = {},
): WriteThrough<TKey, TValue> {
  const { logger, remove } = withDefaults(WRITE_THROUGH_DEFAULTS, options);
  assertOptions('write-through', {
    cache: optionObject(cache, 'a CacheWriteTarget', ['set', 'delete'], true),
    write: optionFunction(write, true),
    remove: optionFunction(remove),
    logger: optionLogger(logger, { uses: ['warn', 'error'] }),
  });
  const queue = new KeyedQueue<TKey>();

  const invalidate = async (key: TKey, error: unknown): Promise<void> => {
    logger.warn('write-through cache update failed; invalidating the key', { key, error });
    await cache.delete(key).catch((deleteError: unknown) => {
      logger.error('write-through cache invalidation failed; the key may be stale until its TTL', {
        key,
        error: deleteError,
      });
    });
  };

  /** Runs `task` in the key's turn with a signal of its own that follows the caller's. */
  const inTurn = (
    key: TKey,
    signal: AbortSignal | undefined,
    task: (signal: AbortSignal) => Promise<void>,
  ) => {
    throwIfAborted(signal);
    const run = queue.run(
      key,
      async () => {
        const call = linkedAbortController(signal);
        try {
          await task(call.signal);
        } finally {
          call.dispose();
        }
      },
      signal,
    );
    return raceAbort(run, signal);
  };

  return {
    async set(key, value, callOptions) {
      return inTurn(key, callOptions?.signal, async (signal) => {
        try {
          await write(key, value, { signal });
        } catch (error) {
          // The source may or may not hold the value now: drop the cached one rather than guess.
          await cache.delete(key).catch(() => undefined);
          throw error;
        }
        await cache.set(key, value).catch((error: unknown) => invalidate(key, error));
      });
    },
    async delete(key, callOptions) {
      return inTurn(key, callOptions?.signal, async (signal) => {
        try {
          await remove?.(key, { signal });
        } finally {
          // Even when `remove` fails the source may have deleted the key: never serve it from the cache.
          await cache.delete(key).catch((error: unknown) => invalidate(key, error));
        }
      });
    },
  };
}
