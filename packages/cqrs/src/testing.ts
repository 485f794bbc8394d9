export { idempotencyStoreContract } from './testing/idempotencyStoreContract.js';
export type { IdempotencyStoreFactory } from './testing/idempotencyStoreContract.js';
