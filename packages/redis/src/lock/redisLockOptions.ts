import {
  assertOptions,
  noopLogger,
  optionBoolean,
  optionClock,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger } from '@keel/core';

/** Options of {@link RedisLock}. */
export interface RedisLockOptions {
  /** Prepended to every lock key. @default 'keel:lock:' */
  prefix?: string;
  /**
   * Default time to live of a lock in ms (its lease); a number > 0, at most
   * `Number.MAX_SAFE_INTEGER` (about 285,000 years). @default 30_000
   */
  ttl?: number;
  /** Pause between attempts while waiting for a held lock, in ms. @default 50 */
  retryDelay?: number;
  /** The source of time for waiting, leases and the watchdog. @default systemClock */
  clock?: Clock;
  /**
   * Whether a held lock is extended automatically (as Redisson's lock watchdog does): every
   * `watchdogInterval` ms its TTL is reset to `ttl`, until it is released. Without it, the lock
   * expires `ttl` ms after it was taken unless you call `extend()`.
   * @default false
   */
  watchdog?: boolean;
  /**
   * How often the watchdog extends a held lock, in ms; less than the lock's `ttl`.
   * @default a third of the lock's `ttl`
   */
  watchdogInterval?: number;
  /** Receives what cannot be thrown: a failed release after the work's outcome, a watchdog retry. @default noopLogger */
  logger?: Logger;
}

/** {@link RedisLockOptions} with defaults filled in. */
export interface ResolvedLockOptions {
  readonly prefix: string;
  readonly ttl: number;
  readonly retryDelay: number;
  readonly clock: Clock;
  readonly watchdog: boolean;
  readonly logger: Logger;
  readonly watchdogInterval?: number;
}

/** The defaults of {@link RedisLockOptions} (`watchdogInterval` defaults to a third of the `ttl`). */
export const REDIS_LOCK_DEFAULTS: Readonly<Omit<ResolvedLockOptions, 'watchdogInterval'>> = Object.freeze({
  prefix: 'keel:lock:',
  ttl: 30_000,
  retryDelay: 50,
  clock: systemClock,
  watchdog: false,
  logger: noopLogger,
});

/** Options of {@link RedisLock.acquire} and {@link RedisLock.using}. */
export interface LockAcquireOptions {
  /**
   * How long the lock lives unless extended, in ms: > 0 and at most `Number.MAX_SAFE_INTEGER`
   * (Redis refuses a `PX` past its 64-bit expiry time). @default the lock's `ttl`
   */
  ttl?: number;
  /**
   * How long to keep trying while another owner holds it, in ms; `0` tries once, `Infinity`
   * waits until the lock is free or the signal aborts.
   * @default 0
   */
  wait?: number;
  /** Whether the watchdog extends this lock while it is held. @default the lock's `watchdog` */
  watchdog?: boolean;
  /** Stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const positiveFinite = { min: 0, exclusiveMin: true } as const;
/** A lock TTL: an exact number of ms, so the `PX` sent is one Redis takes (never `1e+21`). */
const lockTtl = { ...positiveFinite, max: Number.MAX_SAFE_INTEGER } as const;

/**
 * Merges and checks {@link RedisLockOptions}: absent or `undefined` options keep their default.
 *
 * @throws ValidationError listing every out-of-range option.
 */
export function resolveLockOptions(options: RedisLockOptions | undefined): ResolvedLockOptions {
  const settings = withDefaults(REDIS_LOCK_DEFAULTS, options);
  assertOptions('RedisLock', {
    prefix: optionString(settings.prefix),
    ttl: optionNumber(settings.ttl, lockTtl),
    retryDelay: optionNumber(settings.retryDelay, positiveFinite),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
    watchdog: optionBoolean(settings.watchdog),
    watchdogInterval:
      optionNumber(settings.watchdogInterval, positiveFinite) ??
      intervalRule(settings.watchdogInterval, settings.ttl),
    logger: optionLogger(settings.logger, { uses: ['warn'] }),
  });
  return settings;
}

/** The settings of one acquisition, merged over the lock's. */
export interface ResolvedAcquireOptions {
  readonly ttl: number;
  readonly wait: number;
  readonly watchdog: boolean;
  readonly signal: AbortSignal | undefined;
}

/**
 * Merges and checks {@link LockAcquireOptions} over the lock's settings.
 *
 * @throws ValidationError when `ttl`, `wait` or `watchdog` is out of range.
 */
export function resolveAcquireOptions(
  lock: ResolvedLockOptions,
  options: LockAcquireOptions | undefined,
): ResolvedAcquireOptions {
  const defaults: { ttl: number; wait: number; watchdog: boolean } = {
    ttl: lock.ttl,
    wait: 0,
    watchdog: lock.watchdog,
  };
  const settings = withDefaults(defaults, options);
  assertOptions('RedisLock acquire', {
    ttl: optionNumber(settings.ttl, lockTtl),
    wait: optionNumber(settings.wait, { min: 0, infinity: true }),
    watchdog:
      optionBoolean(settings.watchdog) ??
      (settings.watchdog ? intervalRule(lock.watchdogInterval, settings.ttl) : undefined),
    signal: optionObject(settings.signal, 'an AbortSignal', ['addEventListener', 'removeEventListener']),
  });
  return { ttl: settings.ttl, wait: settings.wait, watchdog: settings.watchdog, signal: settings.signal };
}

function intervalRule(interval: number | undefined, ttl: number): string | undefined {
  return optionRule(
    interval === undefined || !(interval >= ttl),
    `must be less than the ttl, or the lock expires between two extensions (got watchdogInterval ${interval} >= ttl ${ttl}).`,
  );
}

/** Throws a `ValidationError` unless `ttl` is a number of ms > 0 and at most `Number.MAX_SAFE_INTEGER`. */
export function assertTtl(subject: string, ttl: unknown): void {
  assertOptions(subject, { ttl: optionNumber(ttl, { ...lockTtl, required: true }) });
}
