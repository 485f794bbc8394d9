// The spec helpers (also alone in `./specs`) and the contract suites, which run under any test runner.
export * from './specs.js';
export { eventStoreContract, numbered } from './testing/eventStoreContract.js';
export type { StoreFactory } from './testing/eventStoreContract.js';
export {
  snapshotStoreContract,
  checkpointStoreContract,
  deadLetterStoreContract,
} from './testing/storeContracts.js';
export { snapshotLoadingContract } from './testing/snapshotLoadingContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
