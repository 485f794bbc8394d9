import {
  assertOptions,
  newId,
  optionInteger,
  optionNumber,
  optionObject,
  optionString,
  withDefaults,
} from '@keel/core';
import type { OptionProblem } from '@keel/core';
import { jsonSerializer } from './serializer.js';
import type { Serializer } from './serializer.js';

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions<TValue = unknown> {
  /** Prepended to every key, so several stores share one database; `clear` removes only these. @default 'keel:cache:' */
  prefix?: string;
  /**
   * Default time to live in ms; `0`, `Infinity` or anything beyond `Number.MAX_SAFE_INTEGER`
   * mean never expire. @default 0
   */
  ttl?: number;
  /** Turns values into stored strings and back. @default jsonSerializer */
  serializer?: Serializer<TValue>;
  /**
   * The pub/sub channel where every write publishes the keys it changed, for
   * {@link RedisInvalidationListener} and {@link createTieredCache}; leave it out to publish nothing.
   * @default undefined
   */
  invalidationChannel?: string;
  /** Keys asked per SCAN step by `clear`. @default 500 */
  scanCount?: number;
  /** This instance's id in invalidation messages. @default a new UUID */
  instanceId?: string;
}

/** The defaults of {@link RedisCacheStoreOptions}. */
export const REDIS_CACHE_STORE_DEFAULTS = Object.freeze({
  prefix: 'keel:cache:',
  ttl: 0,
  serializer: jsonSerializer,
  scanCount: 500,
});

/** The options with defaults filled in. */
export interface ResolvedCacheStoreOptions<TValue> {
  readonly prefix: string;
  readonly ttl: number;
  readonly serializer: Serializer<TValue>;
  readonly invalidationChannel: string | undefined;
  readonly scanCount: number;
  readonly instanceId: string;
}

/**
 * Checks and completes {@link RedisCacheStoreOptions}: an option that is absent or `undefined`
 * keeps its default.
 *
 * @throws ValidationError listing every out-of-range option.
 */
export function resolveCacheStoreOptions<TValue>(
  options: RedisCacheStoreOptions<TValue> | undefined,
): ResolvedCacheStoreOptions<TValue> {
  const settings = withDefaults(REDIS_CACHE_STORE_DEFAULTS, options);
  assertOptions('RedisCacheStore', {
    prefix: optionString(settings.prefix),
    ttl: optionTtl(settings.ttl),
    serializer: optionObject(settings.serializer, 'a Serializer', ['serialize', 'deserialize']),
    invalidationChannel: optionString(settings.invalidationChannel),
    scanCount: optionInteger(settings.scanCount, { min: 1 }),
    instanceId: optionString(settings.instanceId),
  });
  return {
    prefix: settings.prefix,
    ttl: settings.ttl,
    serializer: settings.serializer as Serializer<TValue>,
    invalidationChannel: settings.invalidationChannel,
    scanCount: settings.scanCount,
    instanceId: settings.instanceId ?? newId(),
  };
}

/** Checks a TTL in ms: a number >= 0, where `0` and `Infinity` mean "never expire". */
export function optionTtl(ttl: unknown): OptionProblem {
  return optionNumber(ttl, { min: 0, infinity: true });
}

/** Escapes the glob characters of `text` for a SCAN MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The PX argument for a TTL in ms, or `undefined` for "never expire": `0`, `Infinity`, and any
 * TTL beyond `Number.MAX_SAFE_INTEGER` ms (about 285,000 years). Redis refuses a PX that does
 * not fit its 64-bit expiry time, and a number from 1e21 up would even be sent as `1e+21`; such a
 * TTL never expires in `MemoryCacheStore` either.
 */
export function pxFor(ttl: number): number | undefined {
  if (ttl === 0 || ttl > Number.MAX_SAFE_INTEGER) return undefined;
  return Math.max(1, Math.ceil(ttl));
}
