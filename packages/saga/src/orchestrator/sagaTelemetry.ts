import type { Attributes, SpanOptions, TelemetrySpan, TraceCarrier } from '@keel/core';
import { recordMetric, telemetryEnabled, traceHeaders, TRACEPARENT, withSpan } from '@keel/core';
import type { SagaRecord } from '../store/sagaStore.js';
import {
  errorFromInfo,
  errorType,
  INERT_SPAN,
  SAGA_COMPENSATIONS,
  SAGA_DURATION,
  SAGA_OUTCOMES,
  SAGA_STEP_RETRIES,
} from '../telemetry/telemetry.js';

// The spans of a saga run and their metrics; the instruments are declared in ./telemetry.ts.

/**
 * The active trace context to store with a new saga, or `undefined` when telemetry is off or no
 * span is active: a run resumed elsewhere (after a crash) continues this trace.
 */
export function traceToStore(): TraceCarrier | undefined {
  if (!telemetryEnabled()) return undefined;
  const headers = traceHeaders();
  return headers[TRACEPARENT] === undefined ? undefined : headers;
}

/** The trace context stored when the saga started, if any. */
export function storedTrace(record: SagaRecord): TraceCarrier | undefined {
  const first = record.history[0];
  return first?.type === 'sagaStarted' ? first.trace : undefined;
}

const traceIdOf = (carrier: TraceCarrier): string | undefined => carrier[TRACEPARENT]?.split('-')[1];

/**
 * The options of a run's `saga <name>` span: with no active span it continues the stored trace
 * (`parent`); under an active span of another trace (a worker's pass) it links to the stored one.
 */
function sagaSpanOptions(record: SagaRecord): SpanOptions {
  const attributes = {
    'keel.saga.name': record.sagaName,
    'keel.saga.id': record.sagaId,
    // Version 1 is the record its starter created; any lease taken since means a resumed run.
    'keel.saga.resumed': record.version > 1,
  };
  const stored = storedTrace(record);
  if (stored === undefined) return { attributes };
  const active = traceHeaders();
  if (active[TRACEPARENT] === undefined) return { attributes, parent: stored };
  if (traceIdOf(active) === traceIdOf(stored)) return { attributes };
  return { attributes, links: [stored] };
}

/** Which side of a step a span or metric is about. */
export type StepOperation = 'run' | 'compensate';

/** The attributes of a step's or compensation's span. */
function stepSpanOptions(record: SagaRecord, step: string, attempt: number): SpanOptions {
  return {
    attributes: {
      'keel.saga.name': record.sagaName,
      'keel.saga.id': record.sagaId,
      'keel.saga.step': step,
      'keel.saga.attempt': attempt,
    },
  };
}

/**
 * Wraps one attempt function so every call after the first is reported as a retry: a `retry`
 * event on `span` (policy attempt, delay since the previous failure, its `error.type`) and one
 * `keel.saga.step.retries`. Only wraps when telemetry is installed. An attempt a policy starts
 * while another still runs (a hedge) counts as a retry too.
 */
export function countRetries<TResult>(
  span: TelemetrySpan,
  labels: { readonly sagaName: string; readonly step: string; readonly operation: StepOperation },
  now: () => number,
  attempt: (signal: AbortSignal) => Promise<TResult>,
): (signal: AbortSignal) => Promise<TResult> {
  if (!telemetryEnabled()) return attempt;
  const metric = {
    'keel.saga.name': labels.sagaName,
    'keel.saga.step': labels.step,
    'keel.saga.operation': labels.operation,
  };
  let calls = 0;
  let failed: { readonly at: number; readonly error: unknown } | undefined;
  return async (signal) => {
    calls++;
    if (calls > 1) {
      const at = now();
      recordMetric(SAGA_STEP_RETRIES, 1, metric);
      span.addEvent('retry', {
        'keel.retry.attempt': calls,
        'keel.retry.delay_ms': failed === undefined ? undefined : Math.max(0, at - failed.at),
        'error.type': failed === undefined ? undefined : errorType(failed.error),
      });
    }
    try {
      return await attempt(signal);
    } catch (error) {
      failed = { at: now(), error };
      throw error;
    }
  };
}

/**
 * Marks a step's or compensation's span by what was stored last: `keel.outcome` and, on a
 * failure, the error (`cause` when the call threw it, else rebuilt from the stored one).
 */
function markStepSpan(span: TelemetrySpan, record: SagaRecord, cause: unknown): void {
  if (!span.recording) return;
  const last = record.history[record.history.length - 1];
  if (last?.type === 'stepCompleted' || last?.type === 'compensationCompleted') {
    span.setAttributes({ 'keel.outcome': 'completed' });
    return;
  }
  const entry = record.history.findLast(
    (each) => each.type === 'stepFailed' || each.type === 'compensationFailed',
  );
  if (entry === undefined || !('error' in entry)) return;
  const unknown = entry.type === 'stepFailed' && entry.outcomeUnknown === true;
  span.setAttributes({ 'keel.outcome': 'failed', 'keel.saga.outcome_unknown': unknown });
  try {
    span.fail(cause ?? errorFromInfo(entry.error));
  } catch {
    // The thrown value could not be read (a hostile Proxy): fail the span with what was stored.
    span.fail(errorFromInfo(entry.error));
  }
}

/** Records a saga that just stored its final status: its outcome and its duration. */
export function recordSagaFinished(record: SagaRecord): void {
  if (!telemetryEnabled()) return;
  const attributes: Attributes = { 'keel.saga.name': record.sagaName, 'keel.outcome': record.status };
  recordMetric(SAGA_OUTCOMES, 1, attributes);
  recordMetric(SAGA_DURATION, Math.max(0, record.updatedAt - record.createdAt) / 1000, attributes);
}

/** Sets the final outcome on a run's saga span; a `failed` saga marks it failed. */
function markSagaSpan(span: TelemetrySpan, record: SagaRecord): void {
  if (!span.recording) return;
  span.setAttributes({ 'keel.outcome': record.status });
  if (record.status === 'failed' && record.error !== undefined) span.fail(errorFromInfo(record.error));
}

/**
 * Runs a saga start in a `start saga <name>` span when telemetry is on and no span is active:
 * the saga then stores that span's trace context, so a run resumed after a crash, even in
 * another process, continues the trace of the start that created it.
 */
export function inStartSpan<TResult>(
  sagaName: string,
  sagaId: string,
  start: () => Promise<TResult>,
): Promise<TResult> {
  if (!telemetryEnabled() || traceHeaders()[TRACEPARENT] !== undefined) return start();
  const attributes = { 'keel.saga.name': sagaName, 'keel.saga.id': sagaId };
  return withSpan(`start saga ${sagaName}`, { attributes }, start);
}

/**
 * Runs a saga run (`loop`, resolving with the final record) in its `saga <name>` span, which
 * gets the final `keel.outcome` (`interrupted` when the run stopped without one).
 */
export function inSagaSpan(
  record: SagaRecord,
  loop: (span: TelemetrySpan) => Promise<SagaRecord>,
): Promise<SagaRecord> {
  return withSpan(`saga ${record.sagaName}`, sagaSpanOptions(record), async (span) => {
    try {
      const final = await loop(span);
      markSagaSpan(span, final);
      return final;
    } catch (error) {
      span.setAttributes({ 'keel.outcome': 'interrupted' });
      throw error;
    }
  });
}

/**
 * What failed a step call. Boxed, as a thrown value itself may be a thenable or a Proxy that
 * throws when a promise resolution looks for `then`.
 */
export interface StepFailure {
  readonly cause: unknown;
}

/**
 * Runs a step call (`fn`) in a `saga step <step>` or `saga compensate <step>` span when
 * telemetry is on (else with an inert span), then marks it by what `current()` stored last;
 * `fn` resolves with what failed the call, if anything did.
 */
export async function inStepSpan(
  operation: StepOperation,
  step: string,
  attempt: number,
  current: () => SagaRecord,
  fn: (span: TelemetrySpan) => Promise<StepFailure | undefined>,
): Promise<void> {
  if (!telemetryEnabled()) {
    await fn(INERT_SPAN);
    return;
  }
  const name = operation === 'run' ? `saga step ${step}` : `saga compensate ${step}`;
  await withSpan(name, stepSpanOptions(current(), step, attempt), async (span) => {
    const failure = await fn(span);
    markStepSpan(span, current(), failure?.cause);
  });
}

/** Counts one run of a compensation by how it ended. */
export function recordCompensation(record: SagaRecord, step: string, outcome: 'completed' | 'failed'): void {
  if (!telemetryEnabled()) return;
  recordMetric(SAGA_COMPENSATIONS, 1, {
    'keel.saga.name': record.sagaName,
    'keel.saga.step': step,
    'keel.outcome': outcome,
  });
}
