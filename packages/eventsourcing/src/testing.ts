// The spec helpers (also alone, without vitest, in `./specs`) and the vitest contract suites.
export * from './specs.js';
export { eventStoreContract, numbered } from './testing/eventStoreContract.js';
export type { StoreFactory } from './testing/eventStoreContract.js';
export {
  snapshotStoreContract,
  checkpointStoreContract,
  deadLetterStoreContract,
} from './testing/storeContracts.js';
export { snapshotLoadingContract } from './testing/snapshotLoadingContract.js';
