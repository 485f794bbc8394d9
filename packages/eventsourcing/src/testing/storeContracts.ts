export { snapshotStoreContract } from './snapshotStoreContract.js';
export { checkpointStoreContract } from './checkpointStoreContract.js';
export { deadLetterStoreContract } from './deadLetterStoreContract.js';
