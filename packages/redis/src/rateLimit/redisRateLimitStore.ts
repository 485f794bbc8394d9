import type { RateLimitAlgorithm, RateLimitDecision, RateLimitStore } from '@keel/resilience';
import { assertOptions, optionOneOf, optionString, withDefaults } from '@keel/core';
import type { RedisClient } from '../internal/client.js';
import { runScript } from '../internal/commands.js';
import type { ScriptDefinition } from '../internal/commands.js';
import { GCRA_SCRIPT, SLIDING_WINDOW_SCRIPT, TOKEN_BUCKET_SCRIPT } from './rateLimitScripts.js';

/** Options of {@link RedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /** Prepended to every key. @default 'keel:rate-limit:' */
  prefix?: string;
  /**
   * Whose clock decides: `'caller'` uses the `now` the rate limiter passes (its injected
   * `Clock`, so tests with a `ManualClock` work and decisions match the in-memory store);
   * `'redis'` ignores it and reads the server's `TIME` inside the script, so processes with
   * skewed clocks still share one timeline.
   * @default 'caller'
   */
  time?: 'caller' | 'redis';
}

/** The defaults of {@link RedisRateLimitStoreOptions}. */
export const REDIS_RATE_LIMIT_STORE_DEFAULTS: Readonly<Required<RedisRateLimitStoreOptions>> = Object.freeze({
  prefix: 'keel:rate-limit:',
  time: 'caller',
});

/** The script and its numeric arguments for one algorithm. */
function scriptFor(algorithm: RateLimitAlgorithm): { script: ScriptDefinition; args: number[] } {
  const p = algorithm.params;
  switch (algorithm.kind) {
    case 'token-bucket':
      return { script: TOKEN_BUCKET_SCRIPT, args: [p.capacity!, p.refillPerSecond!] };
    case 'sliding-window':
      return { script: SLIDING_WINDOW_SCRIPT, args: [p.limit!, p.windowMs!] };
    case 'gcra': {
      const interval = p.periodMs! / p.limit!;
      return { script: GCRA_SCRIPT, args: [interval, interval * p.burst!, p.burst!] };
    }
  }
}

/**
 * A {@link RateLimitStore} in Redis, so several processes share one limit. Each algorithm of
 * `@keel/resilience` (`tokenBucket`, `slidingWindow`, `gcra`) runs as one Lua script, atomic
 * per key, sent with EVALSHA (falling back to EVAL after a NOSCRIPT reply). Keys expire once
 * their state equals a fresh key's (a full bucket, a passed window), so idle keys cost nothing.
 * Each decision touches one key, so the store runs unchanged on a Redis Cluster (`Cluster` client).
 *
 * With `time: 'caller'` (the default) decisions equal the in-memory store's for the same
 * sequence of calls, each caller passing its own time. A key's stored time never moves back,
 * so a caller whose clock lags is counted as of the latest time written and cannot make the
 * next caller be refilled twice for the same ms: skewed clocks never raise the limit (a lagging
 * caller may wait up to its lag longer). Keep clocks in sync (NTP) all the same; key expiry is
 * in Redis's real time, so the caller's clock should run at real speed.
 *
 * @example
 * ```ts
 * const limiter = rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }), {
 *   store: new RedisRateLimitStore(redis, { prefix: 'api:rl:' }),
 * });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #time: 'caller' | 'redis';

  /**
   * @param client A connected ioredis client, `Redis` or `Cluster`; the store borrows it and never closes it.
   * @param options Key prefix and time source.
   * @throws ValidationError when the prefix is empty or `time` is neither `'caller'` nor `'redis'`.
   */
  constructor(client: RedisClient, options?: RedisRateLimitStoreOptions) {
    const settings = withDefaults(REDIS_RATE_LIMIT_STORE_DEFAULTS, options);
    assertOptions('RedisRateLimitStore', {
      prefix: optionString(settings.prefix),
      time: optionOneOf(settings.time, ['caller', 'redis']),
    });
    this.#client = client;
    this.#prefix = settings.prefix;
    this.#time = settings.time;
  }

  /** The prefix of every key of this store. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Takes `permits` for `key` under `algorithm` atomically.
   *
   * @param now Epoch ms from the caller's clock; ignored with `time: 'redis'`.
   * @returns The decision, computed inside Redis.
   */
  async consume(
    key: string,
    algorithm: RateLimitAlgorithm,
    permits: number,
    now: number,
  ): Promise<RateLimitDecision> {
    const { script, args } = scriptFor(algorithm);
    const time = this.#time === 'redis' ? '' : String(now);
    const reply = (await runScript(this.#client, script, [
      `${this.#prefix}${algorithm.kind}:${key}`,
      time,
      String(permits),
      ...args.map(String),
    ])) as [number, number, number];
    return { allowed: reply[0] === 1, remaining: reply[1], retryAfter: reply[2] };
  }
}
