import type { SagaErrorInfo, SagaStatus } from '../store/sagaStore.js';

/** Identifies the saga an event is about. */
export interface SagaEventBase {
  readonly sagaId: string;
  readonly sagaName: string;
  /** When the transition was stored, in ms since the epoch. */
  readonly at: number;
}

/** An event about one step. */
export interface SagaStepEvent extends SagaEventBase {
  readonly step: string;
  /** 1 for the first start, more after a restart. */
  readonly attempt: number;
}

/**
 * The observability events of a {@link SagaOrchestrator}, each emitted after its transition
 * was stored. Listener errors are logged and never affect the saga.
 */
export interface SagaEvents {
  sagaStarted: SagaEventBase;
  stepStarted: SagaStepEvent;
  stepCompleted: SagaStepEvent & { readonly output: unknown };
  stepFailed: SagaStepEvent & { readonly error: SagaErrorInfo };
  /** The saga switched to compensation after a step failure or its deadline. */
  compensating: SagaEventBase & { readonly error: SagaErrorInfo };
  compensationStarted: SagaStepEvent;
  compensationCompleted: SagaStepEvent;
  compensationFailed: SagaStepEvent & { readonly error: SagaErrorInfo };
  /** The saga reached a final status: `completed`, `compensated` or `failed`. */
  sagaFinished: SagaEventBase & { readonly status: SagaStatus; readonly error?: SagaErrorInfo };
}
