/**
 * `@keel/scaling/testing`: contract suites for the caching interfaces, for any test runner.
 * `cacheContract` holds a synchronous `Cache` (`LruCache`, `WTinyLfuCache`, your own) to the
 * interface; `cacheStoreContract` holds an async `CacheStore` (`MemoryCacheStore`, Redis) to its.
 *
 * @example
 * ```ts
 * import { seededRandom } from '@keel/core';
 * import { LruCache, WTinyLfuCache } from '@keel/scaling';
 * import { cacheContract } from '@keel/scaling/testing';
 *
 * cacheContract('LruCache', (settings) => new LruCache(settings));
 * cacheContract('WTinyLfuCache', (settings) => new WTinyLfuCache({ ...settings, random: seededRandom(1) }));
 * ```
 *
 * @packageDocumentation
 */
export { cacheContract } from './caching/testing/cacheContract.js';
export type { CacheContractFactory, CacheContractSettings } from './caching/testing/cacheContractSetup.js';
export { cacheStoreContract, describeCacheStoreContract } from './caching/testing/cacheStoreContract.js';
export type { CacheStoreContractSubject } from './caching/testing/cacheStoreContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
