/**
 * `@keel/resilience/testing`: the contract suite every `RateLimitStore` must pass, for any test
 * runner.
 *
 * @packageDocumentation
 */
export { rateLimitStoreContract } from './testing/rateLimitStoreContract.js';
export type { RateLimitStoreFactory } from './testing/rateLimitStoreContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
