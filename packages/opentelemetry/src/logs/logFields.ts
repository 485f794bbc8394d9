import { context, trace, TraceFlags } from '@opentelemetry/api';
import type { LogFields } from '@keel/core';

/** The trace ids a log entry carries, named as OpenTelemetry's log data model and pino's instrumentation name them. */
export interface TraceFields {
  readonly trace_id: string;
  readonly span_id: string;
  /** Two hex digits, `01` when the trace is sampled. */
  readonly trace_flags: string;
}

/** The ids of the span active in the current OpenTelemetry context, or `undefined` when none is. */
export function activeTraceFields(): TraceFields | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return undefined;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}`,
  };
}

/** An error as plain data: what a JSON log line can hold. */
export interface SerializedError {
  readonly type: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** `error` as plain data (`type`, `message`, `stack`, and a Keel error's `code`). */
export function serializeError(error: Error): SerializedError {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name || error.constructor.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The keys under which Keel's packages pass the error of a log entry. */
export const ERROR_KEYS: readonly string[] = Object.freeze(['error', 'err']);

/**
 * Splits `fields` into the error of the entry (the first `Error` under `error` or `err`) and
 * the rest, where other `Error` values become {@link SerializedError}s.
 */
export function splitError(fields: LogFields): { error: Error | undefined; rest: Record<string, unknown> } {
  let error: Error | undefined;
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value instanceof Error) {
      if (error === undefined && ERROR_KEYS.includes(key)) error = value;
      else rest[key] = serializeError(value);
    } else {
      rest[key] = value;
    }
  }
  return { error, rest };
}
