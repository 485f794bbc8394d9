import {
  assertOptions,
  optionClock,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRule,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { DisposeListener } from './cache.js';

/**
 * Options of {@link LruCache}. Bound it with `max`, `maxSize` or both; with neither (both
 * `Infinity`, the defaults) it never evicts and only TTLs and `delete` remove entries.
 */
export interface LruCacheOptions<TKey, TValue> {
  /** The most entries kept (an integer >= 1, or `Infinity`); the least recently used are evicted beyond it. @default Infinity */
  max?: number | undefined;
  /** The most total size kept, as measured by `sizeOf` (a number > 0, or `Infinity`); a finite one requires `sizeOf`. @default Infinity */
  maxSize?: number | undefined;
  /** Measures an entry for `maxSize`: a positive finite number. @default undefined */
  sizeOf?: ((value: TValue, key: TKey) => number) | undefined;
  /** Default time to live of entries in ms; `0` or `Infinity` means entries never expire. @default 0 */
  ttl?: number | undefined;
  /** Called after a value leaves the cache, with the reason; never in the middle of an update. @default undefined */
  onDispose?: DisposeListener<TKey, TValue> | undefined;
  /** The source of time for TTLs. @default systemClock */
  clock?: Clock | undefined;
  /** Names the cache in its metrics (`keel.cache.name`); keep it low cardinality. @default 'default' */
  name?: string | undefined;
}

/** The defaults of {@link LruCache}'s options. */
export const LRU_CACHE_DEFAULTS = Object.freeze({
  max: Infinity,
  maxSize: Infinity,
  ttl: 0,
  clock: systemClock,
  name: 'default',
});

/**
 * Merges {@link LruCacheOptions} with the defaults (`undefined` keeps a default) and refuses
 * out-of-range options with one `ValidationError` listing each problem.
 */
export function lruCacheSettings<TKey, TValue>(options: LruCacheOptions<TKey, TValue> | undefined) {
  const settings = withDefaults(LRU_CACHE_DEFAULTS, options);
  const sizeBounded = Number.isFinite(settings.maxSize);
  assertOptions('LruCache', {
    max: optionInteger(settings.max, { min: 1, infinity: true }),
    maxSize: optionNumber(settings.maxSize, { min: 0, exclusiveMin: true, infinity: true }),
    sizeOf:
      optionFunction(settings.sizeOf) ??
      optionRule(
        !sizeBounded || settings.sizeOf !== undefined,
        'is required with a finite maxSize: a function measuring each entry.',
      ),
    ttl: optionNumber(settings.ttl, { min: 0, infinity: true }),
    onDispose: optionFunction(settings.onDispose),
    clock: optionClock(settings.clock, ['now']),
    name: optionString(settings.name),
  });
  return settings;
}
