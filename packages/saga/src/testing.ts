export { sagaStoreContract, sagaRecordFixture } from './testing/sagaStoreContract.js';
export type { SagaStoreFactory } from './testing/sagaStoreContract.js';
export {
  CrashingSagaStore,
  SimulatedCrashError,
  isSimulatedCrashError,
  SIMULATED_CRASH_CODE,
} from './testing/crashingSagaStore.js';
export type { CrashPlan } from './testing/crashingSagaStore.js';
export { processStoreContract } from './testing/processStoreContract.js';
export type { ProcessStoreFactory } from './testing/processStoreContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
