import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type {
  Attributes as OtelAttributes,
  Context,
  Link,
  Meter,
  MeterProvider,
  Span,
  TextMapPropagator,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import {
  assertOptions,
  errorTypeOf,
  installTelemetry,
  optionObject,
  optionString,
  withDefaults,
} from '@keel/core';
import type {
  Attributes,
  Disposer,
  MetricInstrument,
  SpanOptions,
  TelemetryProvider,
  TelemetrySpan,
} from '@keel/core';
import { traceContextCodec, parseTraceparent } from './traceContext.js';
import type { TraceContextCodec } from './traceContext.js';

/** Options of {@link createOpenTelemetryProvider} and {@link installOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider | undefined;
  /** Where metrics go. @default the global meter provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider | undefined;
  /**
   * Extra propagation besides W3C Trace Context, which is always read and written.
   * @default the global propagator (`propagation`)
   */
  propagator?: TextMapPropagator | undefined;
  /** The instrumentation scope name of Keel's tracer and meter. @default '@keel/opentelemetry' */
  scope?: string | undefined;
}

const DEFAULTS = Object.freeze({ scope: '@keel/opentelemetry' });
const SCOPE_VERSION = '0.1.0';

const KINDS = Object.freeze({
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
});

/**
 * A Keel {@link TelemetryProvider} over `@opentelemetry/api`: Keel's spans become OpenTelemetry
 * spans in the active context, its metrics OpenTelemetry instruments, and trace context travels
 * as W3C `traceparent`/`tracestate`.
 */
export function createOpenTelemetryProvider(options: OpenTelemetryOptions = {}): TelemetryProvider {
  const settings = withDefaults(DEFAULTS, options);
  assertOptions('OpenTelemetry', {
    scope: optionString(settings.scope, true),
    tracerProvider: optionObject(settings.tracerProvider, 'a TracerProvider', ['getTracer']),
    meterProvider: optionObject(settings.meterProvider, 'a MeterProvider', ['getMeter']),
    propagator: optionObject(settings.propagator, 'a TextMapPropagator', ['inject', 'extract']),
  });
  const tracer = (settings.tracerProvider ?? trace.getTracerProvider()).getTracer(
    settings.scope,
    SCOPE_VERSION,
  );
  const meter = (settings.meterProvider ?? metrics.getMeterProvider()).getMeter(
    settings.scope,
    SCOPE_VERSION,
  );
  const codec = traceContextCodec(settings.propagator);
  const record = metricRecorder(meter);
  return {
    span: (name, spanOptions, fn) => runInSpan(tracer, codec, name, spanOptions, fn),
    inject: (carrier) => codec.inject(context.active(), carrier),
    record,
    event: (name, attributes) => trace.getSpan(context.active())?.addEvent(name, cleanAttributes(attributes)),
  };
}

/**
 * Installs {@link createOpenTelemetryProvider} as the process-wide Keel telemetry. Returns a
 * disposer that uninstalls it. Register your OpenTelemetry SDK (tracer and meter providers,
 * context manager) first, as its docs say.
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({ traceExporter, metricReader });
 * sdk.start();
 * installOpenTelemetry();
 * ```
 */
export function installOpenTelemetry(options?: OpenTelemetryOptions): Disposer {
  return installTelemetry(createOpenTelemetryProvider(options));
}

/** `error.type` of a failure: core's `errorTypeOf`, re-exported for users of this package. */
export { errorTypeOf };

function runInSpan<TResult>(
  tracer: Tracer,
  codec: TraceContextCodec,
  name: string,
  options: SpanOptions,
  fn: (span: TelemetrySpan) => TResult,
): TResult {
  const active = context.active();
  const parent =
    options.parent !== undefined && trace.getSpan(active) === undefined
      ? codec.extract(active, options.parent)
      : active;
  const span = tracer.startSpan(
    name,
    {
      kind: KINDS[options.kind ?? 'internal'],
      attributes: cleanAttributes(options.attributes) ?? {},
      links: linksOf(options.links),
    },
    parent,
  );
  const handle = spanHandle(span);
  let result: TResult;
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, handle);
  } catch (error) {
    failSpan(span, error);
    span.end();
    throw error;
  }
  if (!isPromiseLike(result)) {
    span.end();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      failSpan(span, error);
      span.end();
      throw error;
    },
  ) as TResult;
}

function spanHandle(span: Span): TelemetrySpan {
  return {
    recording: span.isRecording(),
    setAttributes: (attributes) => span.setAttributes(cleanAttributes(attributes) ?? {}),
    addEvent: (name, attributes) => span.addEvent(name, cleanAttributes(attributes) ?? {}),
    fail: (error, failOptions) => failSpan(span, error, failOptions?.recordException !== false),
  };
}

/** Marks `span` failed the way OpenTelemetry's exception conventions say: an exception event, ERROR status and `error.type`. */
function failSpan(span: Span, error: unknown, recordException = true): void {
  const errorType = errorTypeOf(error);
  span.setAttribute('error.type', errorType);
  // A failure that is not an exception (an HTTP 5xx answer) gets status and type only.
  if (recordException && error instanceof Error) span.recordException(error);
  else if (recordException) span.recordException({ name: errorType, message: String(error) });
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function linksOf(carriers: SpanOptions['links']): Link[] {
  if (carriers === undefined || carriers.length === 0) return [];
  const links: Link[] = [];
  for (const carrier of carriers) {
    const spanContext = parseTraceparent(carrier);
    if (spanContext !== undefined) links.push({ context: spanContext });
  }
  return links;
}

function cleanAttributes(attributes: Attributes | undefined): OtelAttributes | undefined {
  if (attributes === undefined) return undefined;
  const clean: OtelAttributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) clean[key] = value as OtelAttributes[string];
  }
  return clean;
}

type Recorder = (value: number, attributes?: OtelAttributes, ctx?: Context) => void;

function metricRecorder(meter: Meter): TelemetryProvider['record'] {
  const recorders = new Map<string, Recorder>();
  return (instrument, value, attributes) => {
    let recorder = recorders.get(instrument.name);
    if (recorder === undefined) {
      recorder = createRecorder(meter, instrument);
      recorders.set(instrument.name, recorder);
    }
    recorder(value, cleanAttributes(attributes));
  };
}

function createRecorder(meter: Meter, instrument: MetricInstrument): Recorder {
  const { name, unit, description, buckets } = instrument;
  switch (instrument.kind) {
    case 'counter': {
      const counter = meter.createCounter(name, { unit, description });
      return (value, attributes) => counter.add(value, attributes);
    }
    case 'updown': {
      const counter = meter.createUpDownCounter(name, { unit, description });
      return (value, attributes) => counter.add(value, attributes);
    }
    case 'histogram': {
      const advice = buckets === undefined ? {} : { advice: { explicitBucketBoundaries: [...buckets] } };
      const histogram = meter.createHistogram(name, { unit, description, ...advice });
      return (value, attributes) => histogram.record(value, attributes);
    }
    case 'gauge': {
      const gauge = meter.createGauge(name, { unit, description });
      return (value, attributes) => gauge.record(value, attributes);
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
