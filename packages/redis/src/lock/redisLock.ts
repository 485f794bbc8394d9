import { linkedAbortController, newId, raceAbort, systemClock, throwIfAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import type { Redis } from 'ioredis';
import { runScript } from '../internal/commands.js';
import {
  checkOptions,
  isDuration,
  isNonEmptyString,
  isPositiveFinite,
  optional,
} from '../internal/options.js';
import { LockLostError, LockNotAcquiredError } from './errors.js';
import { ACQUIRE_SCRIPT, EXTEND_SCRIPT, RELEASE_SCRIPT } from './lockScripts.js';

/** Options of {@link RedisLock}. */
export interface RedisLockOptions {
  /** Prepended to every lock key. @default 'keel:lock:' */
  prefix?: string;
  /** Default time to live of a lock in ms. @default 30_000 */
  ttl?: number;
  /** Pause between attempts while waiting for a held lock, in ms. @default 50 */
  retryDelay?: number;
  /** The source of time for waiting. @default systemClock */
  clock?: Clock;
}

/** The defaults of {@link RedisLockOptions}. */
export const REDIS_LOCK_DEFAULTS = Object.freeze({
  prefix: 'keel:lock:',
  ttl: 30_000,
  retryDelay: 50,
  clock: systemClock,
});

/** Options of {@link RedisLock.acquire}. */
export interface LockAcquireOptions {
  /** How long the lock lives unless extended, in ms. @default the lock's `ttl` */
  ttl?: number;
  /** How long to keep trying while another owner holds it, in ms; `0` tries once. @default 0 */
  wait?: number;
  /** Stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Checks {@link RedisLockOptions}; throws one `ValidationError` listing every problem. */
function checkLockOptions(options: RedisLockOptions): void {
  checkOptions('RedisLock options', [
    ['prefix', optional(options.prefix, isNonEmptyString), 'a non-empty string', options.prefix],
    ['ttl', optional(options.ttl, isPositiveFinite), 'a finite number of ms > 0', options.ttl],
    [
      'retryDelay',
      optional(options.retryDelay, isPositiveFinite),
      'a finite number of ms > 0',
      options.retryDelay,
    ],
  ]);
}

/**
 * One ownership of a lock. `token` is its fencing token: strictly greater than every token
 * handed out before for the same key, so a resource that remembers the highest token seen can
 * refuse writes from an owner whose lock expired meanwhile.
 */
export class LockHandle implements AsyncDisposable {
  readonly #client: Redis;
  readonly #redisKey: string;
  /** The lock's key (without prefix). */
  readonly key: string;
  /** The fencing token of this ownership. */
  readonly token: number;
  /** The random id stored in Redis as the owner. */
  readonly owner: string;

  /** @internal Created by {@link RedisLock.acquire}. */
  constructor(client: Redis, key: string, redisKey: string, token: number, owner: string) {
    this.#client = client;
    this.key = key;
    this.#redisKey = redisKey;
    this.token = token;
    this.owner = owner;
  }

  /** Releases the lock if this owner still holds it; resolves whether it did (false once expired or taken over). */
  async release(): Promise<boolean> {
    return (await runScript(this.#client, RELEASE_SCRIPT, [this.#redisKey, this.owner])) === 1;
  }

  /**
   * Resets the lock's TTL to `ttl` ms from now.
   *
   * @throws LockLostError when this owner no longer holds the lock.
   */
  async extend(ttl: number): Promise<void> {
    checkOptions('extend', [['ttl', isPositiveFinite(ttl), 'a finite number of ms > 0', ttl]]);
    const ok = await runScript(this.#client, EXTEND_SCRIPT, [this.#redisKey, this.owner, Math.ceil(ttl)]);
    if (ok !== 1) throw new LockLostError(this.key, this.token);
  }

  /** Releases the lock, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

/**
 * A distributed lock over one Redis server: `SET NX PX` and a fencing-token `INCR` in one Lua
 * script; release and extend compare the owner id inside Lua so only the owner can. The
 * fencing counter (`<key>:fence`) never expires, so tokens keep increasing across owners.
 *
 * Safety is bounded by the TTL: protect writes with the fencing token when the work might
 * outlive it. Not Redlock: a failover that loses the lock key loses mutual exclusion.
 *
 * @example
 * ```ts
 * const locks = new RedisLock(redis);
 * await using lock = await locks.acquire('invoice:42', { ttl: 10_000, wait: 2_000 });
 * await store.write(data, { fencingToken: lock.token });
 * ```
 */
export class RedisLock {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #retryDelay: number;
  readonly #clock: Clock;

  /**
   * @param client A connected ioredis client; borrowed, never closed.
   * @param options Prefix, default TTL, retry delay and clock.
   * @throws ValidationError when an option is out of range.
   */
  constructor(client: Redis, options: RedisLockOptions = {}) {
    checkLockOptions(options);
    this.#client = client;
    this.#prefix = options.prefix ?? REDIS_LOCK_DEFAULTS.prefix;
    this.#ttl = options.ttl ?? REDIS_LOCK_DEFAULTS.ttl;
    this.#retryDelay = options.retryDelay ?? REDIS_LOCK_DEFAULTS.retryDelay;
    this.#clock = options.clock ?? REDIS_LOCK_DEFAULTS.clock;
  }

  /**
   * Takes the lock on `key`, retrying every `retryDelay` ms for up to `wait` ms.
   *
   * @returns A handle with the fencing token; release it (or `await using` it).
   * @throws LockNotAcquiredError when it is still held by another owner after `wait`.
   * @throws ValidationError when `ttl` or `wait` is out of range.
   */
  async acquire(key: string, options: LockAcquireOptions = {}): Promise<LockHandle> {
    const { signal } = options;
    throwIfAborted(signal);
    const ttl = options.ttl ?? this.#ttl;
    const wait = options.wait ?? 0;
    checkOptions('acquire options', [
      ['ttl', isPositiveFinite(ttl), 'a finite number of ms > 0', ttl],
      ['wait', isDuration(wait) && Number.isFinite(wait), 'a finite number of ms >= 0', wait],
    ]);
    const redisKey = `${this.#prefix}{${key}}`;
    const owner = newId();
    const deadline = this.#clock.now() + wait;
    for (;;) {
      const [ok, value] = await this.#attempt(redisKey, owner, ttl, signal);
      if (ok === 1) return new LockHandle(this.#client, key, redisKey, value, owner);
      const left = deadline - this.#clock.now();
      if (left <= 0) throw new LockNotAcquiredError(key, wait, Math.max(value, 0));
      await this.#clock.sleep(Math.min(this.#retryDelay, left), signal);
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
   * the caller's.
   *
   * @throws LockNotAcquiredError when the lock could not be taken within `wait`.
   */
  async using<T>(
    key: string,
    work: (lock: LockHandle, signal: AbortSignal) => Promise<T> | T,
    options: LockAcquireOptions = {},
  ): Promise<T> {
    const handle = await this.acquire(key, options);
    const linked = linkedAbortController(options.signal);
    try {
      return await work(handle, linked.signal);
    } finally {
      linked.dispose();
      await handle.release();
    }
  }
}
