import type { MetricInstrument, TelemetrySpan } from '@keel/core';
import {
  defineMetric,
  KeelError,
  recordMetric,
  telemetryEnabled,
  errorTypeOf,
  DURATION_BUCKETS,
} from '@keel/core';
import type { SagaErrorInfo } from '../store/sagaStore.js';

// Every span and metric of @keel/saga is declared or named in this file.
//
// Spans: `saga <sagaName>` (one per run of a saga, a resumed one continuing the trace stored
// when it started), `saga step <step>` and `saga compensate <step>` (children, with `retry` and
// `timeout` events), `process_manager <processName>` (one per event a process manager handles).

/** Sagas started (created; joining an existing id does not count), by `keel.saga.name`. */
export const SAGA_STARTS = defineMetric({
  name: 'keel.saga.starts',
  kind: 'counter',
  unit: '{saga}',
  description: 'Sagas started.',
});

/** Sagas that reached a final status, by `keel.saga.name` and `keel.outcome`. */
export const SAGA_OUTCOMES = defineMetric({
  name: 'keel.saga.outcomes',
  kind: 'counter',
  unit: '{saga}',
  description: 'Sagas that reached a final status (completed, compensated or failed).',
});

/** Time from a saga's start to its final status (crash downtime included), by name and outcome. */
export const SAGA_DURATION = defineMetric({
  name: 'keel.saga.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Time from a saga start to its final status.',
  buckets: DURATION_BUCKETS,
});

/** Unfinished sagas resumed by `recover()`, by `keel.saga.name`. */
export const SAGA_RECOVERIES = defineMetric({
  name: 'keel.saga.recoveries',
  kind: 'counter',
  unit: '{saga}',
  description: 'Unfinished sagas resumed by recover().',
});

/** Compensations run, by `keel.saga.name`, `keel.saga.step` and `keel.outcome` (completed or failed). */
export const SAGA_COMPENSATIONS = defineMetric({
  name: 'keel.saga.compensations',
  kind: 'counter',
  unit: '{compensation}',
  description: 'Compensations of saga steps run.',
});

/** Attempts of a step or compensation after the first, by name, step and `keel.saga.operation`. */
export const SAGA_STEP_RETRIES = defineMetric({
  name: 'keel.saga.step.retries',
  kind: 'counter',
  unit: '{retry}',
  description: 'Retries of saga steps and compensations.',
});

/** Events a process manager handled, by `keel.process.name`, `keel.message.type` and `keel.outcome`. */
export const PROCESS_EVENTS = defineMetric({
  name: 'keel.process_manager.events',
  kind: 'counter',
  unit: '{event}',
  description: 'Events handled by process managers, by outcome.',
});

/** The span handed to instrumented code when telemetry is off: records nothing. */
export const INERT_SPAN: TelemetrySpan = Object.freeze({
  recording: false,
  setAttributes: () => {},
  addEvent: () => {},
  fail: () => {},
});

/**
 * `error.type` of a failure (core's {@link errorTypeOf}); `_OTHER` when reading the thrown value
 * throws (a hostile Proxy), so describing a failure never fails.
 */
export function errorType(error: unknown): string {
  try {
    return errorTypeOf(error);
  } catch {
    return '_OTHER';
  }
}

/** An error rebuilt from its stored description, to mark a span failed with it. */
export function errorFromInfo(info: SagaErrorInfo): Error {
  const error = info.code === undefined ? new Error(info.message) : new KeelError(info.code, info.message);
  error.name = info.name;
  return error;
}

/** Adds one to a per-saga counter (`keel.saga.starts`, `keel.saga.recoveries`). */
export function countSaga(metric: MetricInstrument, sagaName: string): void {
  if (telemetryEnabled()) recordMetric(metric, 1, { 'keel.saga.name': sagaName });
}
