import { linkedAbortController, newId, raceAbort, throwIfAborted, whenAborted } from '@keel/core';
import { isClusterClient } from '../internal/client.js';
import type { RedisClient } from '../internal/client.js';
import { runScript } from '../internal/commands.js';
import { assertWellFormedKey } from '../internal/wellFormedKey.js';
import { LockNotAcquiredError } from './errors.js';
import { LockHandle } from './lockHandle.js';
import { lockKeyOf } from './lockKey.js';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT } from './lockScripts.js';
import { resolveAcquireOptions, resolveLockOptions } from './redisLockOptions.js';
import type { LockAcquireOptions, RedisLockOptions, ResolvedLockOptions } from './redisLockOptions.js';

/**
 * A distributed lock on one Redis server or a Redis Cluster: `SET NX PX` and the next fencing
 * token in one Lua script; release and extend compare the owner id inside Lua so only the owner
 * can. The lock key `<prefix>{<key>}` and its token key `<prefix>{<key>}:fence` share a hash
 * tag, so they live in one cluster slot (on a cluster, a key that is empty or starts with `}`,
 * whose tag would be empty, is stored as `<prefix>{~}<key>~` instead). A key must be well-formed
 * UTF-16: ioredis would turn a lone surrogate into U+FFFD and merge distinct locks, so one is
 * refused with a `ValidationError`. A token is `max(last + 1, server time in µs)`: it is
 * greater than every earlier token for the key, even after a failover promoted a replica that
 * had not yet received the last one (or a restart lost it), as long as the nodes' clocks differ
 * by less than a failover takes.
 *
 * Safety is bounded by the TTL: protect writes with the fencing token when the work might
 * outlive it. Not Redlock: replication is asynchronous, so a failover that loses the lock key
 * loses mutual exclusion for that moment; the fencing token is what keeps writes safe then.
 *
 * @example
 * ```ts
 * const locks = new RedisLock(redis);
 * await using lock = await locks.acquire('invoice:42', { ttl: 10_000, wait: 2_000 });
 * await store.write(data, { fencingToken: lock.token });
 * ```
 */
export class RedisLock {
  readonly #client: RedisClient;
  readonly #settings: ResolvedLockOptions;

  /**
   * @param client A connected ioredis client, `Redis` or `Cluster`; borrowed, never closed.
   * @param options Prefix, default TTL, retry delay, clock, watchdog and logger; an option that
   * is absent or `undefined` keeps its default.
   * @throws ValidationError when an option is out of range.
   */
  constructor(client: RedisClient, options?: RedisLockOptions) {
    this.#settings = resolveLockOptions(options);
    this.#client = client;
  }

  /** The prefix of every lock key. */
  get prefix(): string {
    return this.#settings.prefix;
  }

  /**
   * Takes the lock on `key`, retrying every `retryDelay` ms for up to `wait` ms. With the
   * watchdog on, the lock is extended until you release it: always release it.
   *
   * @returns A handle with the fencing token and a `signal` that aborts when the lock is lost;
   * release it (or `await using` it).
   * @throws LockNotAcquiredError when it is still held by another owner after `wait`.
   * @throws ValidationError when `ttl` (a number of ms > 0, at most `Number.MAX_SAFE_INTEGER`),
   * `wait` or `watchdog` is out of range, or `key` holds a lone UTF-16 surrogate.
   */
  async acquire(key: string, options?: LockAcquireOptions): Promise<LockHandle> {
    throwIfAborted(options?.signal);
    const { ttl, wait, watchdog, signal } = resolveAcquireOptions(this.#settings, options);
    assertWellFormedKey(key, 'lock key');
    const { clock, retryDelay } = this.#settings;
    const redisKey = lockKeyOf(this.#settings.prefix, key, isClusterClient(this.#client));
    const owner = newId();
    const deadline = clock.now() + wait;
    for (;;) {
      const sentAt = clock.now();
      const [ok, value] = await this.#attempt(redisKey, owner, ttl, signal);
      if (ok === 1) {
        const { logger, watchdogInterval } = this.#settings;
        const client = this.#client;
        const init = { client, clock, logger, key, redisKey, token: value, owner, ttl, sentAt };
        return new LockHandle({ ...init, watchdog, watchdogInterval, retryDelay });
      }
      const left = deadline - clock.now();
      if (left <= 0) throw new LockNotAcquiredError(key, wait, Math.max(value, 0));
      await clock.sleep(Math.min(retryDelay, left), signal);
    }
  }

  /** One try: `[1, token]` when taken, `[0, pttl]` when held by someone else. */
  async #attempt(
    redisKey: string,
    owner: string,
    ttl: number,
    signal: AbortSignal | undefined,
  ): Promise<[number, number]> {
    const args = [redisKey, `${redisKey}:fence`, owner, Math.ceil(ttl)];
    const attempt = runScript(this.#client, ACQUIRE_SCRIPT, args) as Promise<[number, number]>;
    try {
      return await raceAbort(attempt, signal);
    } catch (error) {
      // Aborted mid-flight: if the script still took the lock, give it back at once.
      attempt
        .then(
          ([took]) => took === 1 && runScript(this.#client, RELEASE_SCRIPT, [redisKey, owner]),
          () => {},
        )
        .catch(() => {});
      throw error;
    }
  }

  /**
   * Runs `work` while holding the lock on `key`, and releases it afterwards, even on error.
   * `work` gets the handle (for its fencing token and `extend`) and a signal that aborts with
   * the caller's, and with a {@link LockLostError} when the lock is lost (an extension found
   * another owner, or the lease ran out). Pass `watchdog: true` to keep the lock while the work
   * runs, however long it takes.
   *
   * The outcome is the work's: its error is thrown as is and its result returned, even when
   * the release then fails or finds the lock gone (both logged to the lock's `logger`; the
   * lock then expires on its TTL).
   *
   * @throws LockNotAcquiredError when the lock could not be taken within `wait`.
   * @throws ValidationError when an option is out of range or `key` holds a lone surrogate.
   * @throws the work's own error.
   */
  async using<T>(
    key: string,
    work: (lock: LockHandle, signal: AbortSignal) => Promise<T> | T,
    options?: LockAcquireOptions,
  ): Promise<T> {
    const handle = await this.acquire(key, options);
    const linked = linkedAbortController(options?.signal);
    const stopFollowing = whenAborted(handle.signal, () => linked.abort(handle.signal.reason));
    try {
      return await work(handle, linked.signal);
    } finally {
      stopFollowing();
      linked.dispose();
      await this.#releaseQuietly(handle);
    }
  }

  /** Releases after `using`'s work, logging (never throwing) a failure so the work's outcome stands. */
  async #releaseQuietly(handle: LockHandle): Promise<void> {
    const { logger } = this.#settings;
    const fields = { key: handle.key, token: handle.token };
    try {
      if (!(await handle.release())) {
        logger.warn(
          'The lock was lost before the work finished; protect writes with its fencing token.',
          fields,
        );
      }
    } catch (error) {
      logger.warn('Could not release the lock after the work; it expires on its TTL.', { ...fields, error });
    }
  }
}
