import { isKeelError } from '../errors/keelError.js';
import { disposer } from '../listeners/emitter.js';
import { processWide } from '../processWide/processWide.js';
import type { Disposer } from '../listeners/emitter.js';

/** A value of a span or metric attribute, as OpenTelemetry accepts it. */
export type AttributeValue =
  string | number | boolean | readonly string[] | readonly number[] | readonly boolean[];

/** Attributes of a span, span event or metric point; `undefined` values are left out. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

/** The role of a span, as in OpenTelemetry's `SpanKind`. */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/**
 * Headers carrying W3C trace context (`traceparent`, optionally `tracestate`): a message's
 * `metadata.headers`, NATS headers, an outbox row's headers.
 */
export type TraceCarrier = Readonly<Record<string, string>>;

/** Options of {@link withSpan}. */
export interface SpanOptions {
  /** @default 'internal' */
  readonly kind?: SpanKind | undefined;
  /** Attributes set when the span starts (sampling decisions may read them). */
  readonly attributes?: Attributes | undefined;
  /**
   * Trace context to continue when no span is active in the caller (a message handled in
   * another process, a saga resumed after a crash). An active span always wins.
   */
  readonly parent?: TraceCarrier | undefined;
  /** Trace contexts the span is linked to, e.g. every message of a consumed batch. */
  readonly links?: readonly TraceCarrier[] | undefined;
}

/** The span a {@link withSpan} callback runs in. */
export interface TelemetrySpan {
  /** Whether anything records this span; skip building costly attributes when not. */
  readonly recording: boolean;
  /** Sets attributes; `undefined` values are ignored. */
  setAttributes(attributes: Attributes): void;
  /** Adds a timestamped event (a retry, a middleware step, a state change). */
  addEvent(name: string, attributes?: Attributes): void;
  /**
   * Marks the span failed with `error` without throwing (for failures a caller handles, such
   * as a result a policy classified as a failure). A throwing callback is marked failed anyway.
   * Pass `{ recordException: false }` for a failure that is not an exception (an HTTP 503
   * answer): the span gets ERROR status and `error.type`, but no `exception` event.
   */
  fail(error: unknown, options?: FailOptions): void;
}

/** Options of {@link TelemetrySpan.fail}. */
export interface FailOptions {
  /** Add an `exception` event with the error's type, message and stack. @default true */
  readonly recordException?: boolean | undefined;
}

/** How a metric aggregates, as in OpenTelemetry's instruments. */
export type MetricKind = 'counter' | 'updown' | 'histogram' | 'gauge';

/** A metric a package records: declared once with {@link defineMetric}, recorded with {@link recordMetric}. */
export interface MetricInstrument {
  /** Dotted name following OpenTelemetry's conventions, e.g. `keel.cache.hits`. */
  readonly name: string;
  readonly kind: MetricKind;
  /** UCUM unit: `s`, `ms`, `{event}`, `By`, `1` … */
  readonly unit: string;
  readonly description: string;
  /** Histogram bucket boundaries the backend should use (OpenTelemetry "advice"). */
  readonly buckets?: readonly number[] | undefined;
}

/**
 * What a telemetry backend implements to receive Keel's spans and metrics. `@keel/opentelemetry`
 * provides one over `@opentelemetry/api`; tests may install their own.
 */
export interface TelemetryProvider {
  /** Runs `fn` inside a new active span and ends the span when `fn` (or its promise) settles. */
  span<TResult>(name: string, options: SpanOptions, fn: (span: TelemetrySpan) => TResult): TResult;
  /** Writes the active trace context into `carrier` (`traceparent`, `tracestate`); no-op without one. */
  inject(carrier: Record<string, string>): void;
  /** Records one measurement of `instrument`. */
  record(instrument: MetricInstrument, value: number, attributes?: Attributes): void;
  /**
   * Adds an event to the span active in the caller (a retry, a circuit opening), if any.
   * Optional: a provider without it drops such events.
   */
  event?(name: string, attributes?: Attributes): void;
}

/**
 * Bucket boundaries (seconds) for duration histograms, shared by every Keel package so their
 * latency histograms line up: 1 ms to 10 s.
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** The W3C header that carries a trace context. */
export const TRACEPARENT = 'traceparent';
/** The W3C header that carries vendor trace state. */
export const TRACESTATE = 'tracestate';

interface TelemetrySlot {
  provider: TelemetryProvider | undefined;
}

// One slot per process, shared by every loaded copy of @keel/core.
const slot = processWide<TelemetrySlot>('@keel/core/telemetry', () => ({ provider: undefined }));

const NOOP_SPAN: TelemetrySpan = Object.freeze({
  recording: false,
  setAttributes: () => {},
  addEvent: () => {},
  fail: () => {},
});

/**
 * Installs the process-wide telemetry provider every Keel package reports to. Returns a
 * disposer that removes it again (if it is still the installed one).
 *
 * @throws TypeError when `provider` lacks `span`, `inject` or `record`.
 */
export function installTelemetry(provider: TelemetryProvider): Disposer {
  for (const method of ['span', 'inject', 'record'] as const) {
    if (typeof provider?.[method] !== 'function') {
      throw new TypeError(`A telemetry provider needs a ${method}() method.`);
    }
  }
  slot.provider = provider;
  return disposer(() => {
    if (slot.provider === provider) slot.provider = undefined;
  });
}

/** The installed telemetry provider, or `undefined` when none is (the default). */
export function currentTelemetry(): TelemetryProvider | undefined {
  return slot.provider;
}

/**
 * Runs `fn` in a span named `name` when telemetry is installed, and calls it directly (with an
 * inert span) when not: the cost of an instrumentation point nobody listens to is one check.
 *
 * @example
 * ```ts
 * return withSpan(`send ${command.type}`, { kind: 'internal' }, (span) => handler(command));
 * ```
 */
export function withSpan<TResult>(
  name: string,
  options: SpanOptions,
  fn: (span: TelemetrySpan) => TResult,
): TResult {
  const provider = slot.provider;
  return provider === undefined ? fn(NOOP_SPAN) : provider.span(name, options, fn);
}

/** Records one measurement of `instrument` when telemetry is installed; otherwise does nothing. */
export function recordMetric(instrument: MetricInstrument, value: number, attributes?: Attributes): void {
  slot.provider?.record(instrument, value, attributes);
}

/**
 * Adds an event to the caller's active span when telemetry is installed and a span is active;
 * otherwise does nothing. For things that happen inside someone else's operation (a retry, a
 * circuit opening) and do not deserve a span of their own.
 */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  slot.provider?.event?.(name, attributes);
}

/** Whether a telemetry provider is installed: guard costly attribute building with it. */
export function telemetryEnabled(): boolean {
  return slot.provider !== undefined;
}

/**
 * Declares a metric instrument (frozen). Declare instruments once at module level.
 *
 * @example
 * ```ts
 * const hits = defineMetric({ name: 'keel.cache.hits', kind: 'counter', unit: '{hit}', description: 'Cache hits.' });
 * recordMetric(hits, 1, { 'keel.cache.name': 'users' });
 * ```
 */
export function defineMetric(instrument: MetricInstrument): MetricInstrument {
  return Object.freeze({ ...instrument });
}

/**
 * The trace context to carry with an outgoing message: the active span's when telemetry is
 * installed and a span is active, else the `traceparent`/`tracestate` of `inherited` (the
 * message that caused this one), else nothing. Returns a new object; never mutates `inherited`.
 */
export function traceHeaders(inherited?: TraceCarrier): Record<string, string> {
  const headers: Record<string, string> = {};
  slot.provider?.inject(headers);
  if (headers[TRACEPARENT] === undefined && inherited?.[TRACEPARENT] !== undefined) {
    headers[TRACEPARENT] = inherited[TRACEPARENT];
    if (inherited[TRACESTATE] !== undefined) headers[TRACESTATE] = inherited[TRACESTATE];
  }
  return headers;
}

/**
 * The `error.type` attribute of a failure, as OpenTelemetry's conventions want it: a Keel
 * error's stable `code`, else the error's class name, else `_OTHER`.
 */
export function errorTypeOf(error: unknown): string {
  if (isKeelError(error)) return error.code;
  return error instanceof Error && error.name ? error.name : '_OTHER';
}
