import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import type { DisposeListener } from './cache.js';
import {
  checkOptions,
  isDuration,
  isPositiveFinite,
  isPositiveInteger,
  optional,
} from './internal/validate.js';

/** Options of {@link LruCache}; give `max`, `maxSize` or both. */
export interface LruCacheOptions<TKey, TValue> {
  /** The most entries kept; the least recently used are evicted beyond it. @default Infinity */
  max?: number;
  /** The most total size kept, as measured by `sizeOf`; requires `sizeOf`. @default Infinity */
  maxSize?: number;
  /** Measures an entry for `maxSize`: a positive finite number. @default undefined */
  sizeOf?: (value: TValue, key: TKey) => number;
  /** Default time to live of entries in ms; `0` means entries never expire. @default 0 */
  ttl?: number;
  /** Called after a value leaves the cache, with the reason; never in the middle of an update. @default undefined */
  onDispose?: DisposeListener<TKey, TValue>;
  /** The source of time for TTLs. @default systemClock */
  clock?: Clock;
}

/** The defaults of {@link LruCache}'s options. */
export const LRU_CACHE_DEFAULTS = Object.freeze({
  max: Infinity,
  maxSize: Infinity,
  ttl: 0,
  clock: systemClock,
});

/** Rejects out-of-range {@link LruCacheOptions} with one `ValidationError` listing each problem. */
export function checkLruCacheOptions<TKey, TValue>(options: LruCacheOptions<TKey, TValue>): void {
  checkOptions('LruCache options', [
    ['max', optional(options.max, isPositiveInteger), 'a positive integer', options.max],
    ['maxSize', optional(options.maxSize, isPositiveFinite), 'a positive finite number', options.maxSize],
    ['ttl', optional(options.ttl, isDuration), 'a duration in ms >= 0', options.ttl],
    [
      'max',
      options.max !== undefined || options.maxSize !== undefined,
      'given, or maxSize given',
      options.max,
    ],
    [
      'sizeOf',
      options.maxSize === undefined || options.sizeOf !== undefined,
      'given with maxSize',
      options.sizeOf,
    ],
  ]);
}
