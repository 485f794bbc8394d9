export { cacheStoreContract, describeCacheStoreContract } from './caching/testing/cacheStoreContract.js';
export type { CacheStoreContractSubject } from './caching/testing/cacheStoreContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
