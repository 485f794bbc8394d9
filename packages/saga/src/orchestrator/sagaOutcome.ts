import { compensationCauseOf, contextOf } from './history.js';
import type { SagaErrorInfo, SagaLease, SagaRecord, SagaStatus } from '../store/sagaStore.js';

/** How a saga ended, as `start` and `recover` report it. */
export type SagaOutcome<TContext = Record<string, unknown>> =
  | {
      readonly sagaId: string;
      readonly sagaName: string;
      readonly status: 'completed';
      /** Every step's output, by step name. */
      readonly context: TContext;
    }
  | {
      readonly sagaId: string;
      readonly sagaName: string;
      /** A step failed (or the deadline passed) and every completed step was compensated. */
      readonly status: 'compensated';
      /** That step failure (or exceeded deadline), also when a failed compensation was resumed. */
      readonly error: SagaErrorInfo;
    }
  | {
      readonly sagaId: string;
      readonly sagaName: string;
      /** A compensation kept failing: the saga needs an operator; see `get()` for its history. */
      readonly status: 'failed';
      readonly error: SagaErrorInfo;
    };

/** A readable summary of a saga's state, from {@link SagaOrchestrator.status}. */
export interface SagaStatusView {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly status: SagaStatus;
  /** The step being run or compensated (started but not finished), if any. */
  readonly currentStep?: string;
  /** Steps that completed, in order. */
  readonly completedSteps: readonly string[];
  /** Steps whose compensation completed, in the order they were compensated. */
  readonly compensatedSteps: readonly string[];
  readonly error?: SagaErrorInfo;
  readonly deadlineAt?: number;
  readonly lease?: SagaLease;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** How many transitions are stored; `get()` returns them. */
  readonly transitions: number;
}

/** The outcome of a finished saga record. */
export function outcomeOf(record: SagaRecord): SagaOutcome {
  const { sagaId, sagaName } = record;
  const error = record.error ?? { name: 'Error', message: 'No error was recorded.' };
  if (record.status === 'completed')
    return { sagaId, sagaName, status: 'completed', context: contextOf(record) };
  if (record.status === 'compensated') {
    // The step failure that was compensated, also for a record stored while a resumed
    // compensation still kept the compensation failure as its error.
    return { sagaId, sagaName, status: 'compensated', error: compensationCauseOf(record) ?? error };
  }
  return { sagaId, sagaName, status: 'failed', error };
}

function currentStepOf(record: SagaRecord): string | undefined {
  const last = record.history[record.history.length - 1];
  if (last?.type === 'stepStarted' || last?.type === 'compensationStarted') return last.step;
  return undefined;
}

/** Summarises a record for {@link SagaOrchestrator.status}. */
export function statusOf(record: SagaRecord): SagaStatusView {
  const completed: string[] = [];
  const compensated: string[] = [];
  for (const entry of record.history) {
    if (entry.type === 'stepCompleted') completed.push(entry.step);
    if (entry.type === 'compensationCompleted') compensated.push(entry.step);
  }
  const currentStep = currentStepOf(record);
  return {
    sagaId: record.sagaId,
    sagaName: record.sagaName,
    status: record.status,
    ...(currentStep === undefined ? {} : { currentStep }),
    completedSteps: completed,
    compensatedSteps: compensated,
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.deadlineAt === undefined ? {} : { deadlineAt: record.deadlineAt }),
    ...(record.lease === undefined ? {} : { lease: record.lease }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    transitions: record.history.length,
  };
}
