import { newId } from '@keel/core';
import {
  checkOptions,
  isDuration,
  isNonEmptyString,
  isPositiveInteger,
  optional,
} from '../internal/options.js';
import { jsonSerializer } from './serializer.js';
import type { Serializer } from './serializer.js';

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions<TValue = unknown> {
  /** Prepended to every key, so several stores share one database; `clear` removes only these. @default 'keel:cache:' */
  prefix?: string;
  /** Default time to live in ms; `0` or `Infinity` mean never expire. @default 0 */
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
 * Checks and completes {@link RedisCacheStoreOptions}.
 *
 * @throws ValidationError listing every out-of-range option.
 */
export function resolveCacheStoreOptions<TValue>(
  options: RedisCacheStoreOptions<TValue>,
): ResolvedCacheStoreOptions<TValue> {
  const { prefix, ttl, serializer, invalidationChannel, scanCount, instanceId } = options;
  checkOptions('RedisCacheStore options', [
    ['prefix', optional(prefix, isNonEmptyString), 'a non-empty string', prefix],
    ['ttl', optional(ttl, isDuration), 'a duration in ms >= 0', ttl],
    [
      'serializer',
      optional(serializer, isSerializer),
      'an object with serialize and deserialize',
      serializer,
    ],
    [
      'invalidationChannel',
      optional(invalidationChannel, isNonEmptyString),
      'a non-empty string',
      invalidationChannel,
    ],
    ['scanCount', optional(scanCount, isPositiveInteger), 'an integer >= 1', scanCount],
    ['instanceId', optional(instanceId, isNonEmptyString), 'a non-empty string', instanceId],
  ]);
  const defaults = REDIS_CACHE_STORE_DEFAULTS;
  return {
    prefix: prefix ?? defaults.prefix,
    ttl: ttl ?? defaults.ttl,
    serializer: serializer ?? (defaults.serializer as Serializer<TValue>),
    invalidationChannel,
    scanCount: scanCount ?? defaults.scanCount,
    instanceId: instanceId ?? newId(),
  };
}

function isSerializer(value: unknown): boolean {
  const candidate = value as Partial<Serializer> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.serialize === 'function' &&
    typeof candidate.deserialize === 'function'
  );
}

/** Escapes the glob characters of `text` for a SCAN MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** The PX argument for a TTL in ms, or `undefined` for "never expire". */
export function pxFor(ttl: number): number | undefined {
  if (ttl === 0 || ttl === Infinity) return undefined;
  return Math.max(1, Math.ceil(ttl));
}
