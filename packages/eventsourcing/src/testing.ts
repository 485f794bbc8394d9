export { deciderSpec, shapeOf } from './testing/deciderSpec.js';
export type {
  DeciderSpecification,
  DeciderGiven,
  SpecificationOutcome,
  ErrorClass,
} from './testing/deciderSpec.js';
export { aggregateSpec } from './testing/aggregateSpec.js';
export {
  SpecAssertionError,
  isSpecAssertionError,
  SPEC_ASSERTION_FAILED,
} from './testing/specAssertionError.js';
export type { SpecAssertionErrorOptions } from './testing/specAssertionError.js';
export type { AggregateSpecification, AggregateGiven, AggregateOutcome } from './testing/aggregateSpec.js';
export { eventStoreContract, numbered } from './testing/eventStoreContract.js';
export type { StoreFactory } from './testing/eventStoreContract.js';
export {
  snapshotStoreContract,
  checkpointStoreContract,
  deadLetterStoreContract,
} from './testing/storeContracts.js';
export { snapshotLoadingContract } from './testing/snapshotLoadingContract.js';
