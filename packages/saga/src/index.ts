export { defineSaga, SagaDefinition } from './definition/defineSaga.js';
export type {
  AnySagaDefinition,
  CompensationContext,
  SagaContextOf,
  SagaInputOf,
  SagaStep,
  StepContext,
  StepOptions,
} from './definition/defineSaga.js';

export {
  SAGA_ERROR_CODES,
  SagaConfigError,
  UnknownSagaError,
  SagaIdConflictError,
  SagaDeadlineExceededError,
  SagaLeaseLostError,
  isSagaConfigError,
  isUnknownSagaError,
  isSagaIdConflictError,
  isSagaDeadlineExceededError,
  isSagaLeaseLostError,
} from './errors/errors.js';

export { SagaOrchestrator } from './orchestrator/sagaOrchestrator.js';
export { SagaEventSource } from './orchestrator/sagaEventSource.js';
export type {
  StartSagaOptions,
  EnqueueSagaOptions,
  EnqueuedSaga,
  RecoverSagasOptions,
  SagaRecoveryReport,
} from './orchestrator/sagaOrchestrator.js';
export { SAGA_ORCHESTRATOR_DEFAULTS } from './orchestrator/sagaOrchestratorOptions.js';
export type { SagaOrchestratorOptions } from './orchestrator/sagaOrchestratorOptions.js';
export type { SagaOutcome, SagaStatusView } from './orchestrator/sagaOutcome.js';
export type { SagaEvents, SagaEventBase, SagaStepEvent } from './orchestrator/sagaEvents.js';

export { SagaWorker } from './worker/sagaWorker.js';
export type { SagaWorkerCounts } from './worker/sagaWorker.js';
export { SAGA_WORKER_DEFAULTS } from './worker/sagaWorkerOptions.js';
export type { SagaWorkerOptions } from './worker/sagaWorkerOptions.js';

export { InMemorySagaStore } from './store/inMemorySagaStore.js';
export { assertLeaseTimes } from './store/leaseTimes.js';
export { UNFINISHED_SAGA_STATUSES, isFinalSagaStatus } from './store/sagaStore.js';
export type {
  SagaStore,
  SagaRecord,
  SagaStatus,
  SagaHistoryEntry,
  SagaErrorInfo,
  SagaLease,
  SagaCreateResult,
  SagaQuery,
  SagaClaimRequest,
  SagaClaimCursor,
} from './store/sagaStore.js';

export { defineProcess } from './processManager/defineProcess.js';
export type {
  ProcessDefinition,
  ProcessHandlers,
  ProcessHandlerContext,
  ProcessReaction,
} from './processManager/defineProcess.js';
export { ProcessManager, PROCESS_MANAGER_DEFAULTS } from './processManager/processManager.js';
export type {
  ProcessManagerPorts,
  ProcessManagerOptions,
  ProcessHandleResult,
} from './processManager/processManager.js';
export { InMemoryProcessStore } from './processManager/inMemoryProcessStore.js';
export type { ProcessStore, ProcessInstance, ProcessStatus } from './processManager/processStore.js';
