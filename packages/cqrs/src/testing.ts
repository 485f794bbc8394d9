export { idempotencyStoreContract } from './testing/idempotencyStoreContract.js';
export type {
  IdempotencyStoreFactory,
  IdempotencyStoreContractSettings,
} from './testing/idempotencyContractSetup.js';
export { eventTransportContract } from './testing/eventTransportContract.js';
export type { EventTransportFactory } from './testing/eventTransportContract.js';
export type { ContractOptions, ContractRunner } from '@keel/core/testing';
