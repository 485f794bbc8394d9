import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import { formatSpanTree } from './spanTree/formatSpanTree.js';
import { installOpenTelemetry } from './provider/openTelemetryProvider.js';

/** A metric reader collected on demand, cumulative, as a test wants. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One collected data point with its metric's name. */
export interface CollectedPoint {
  readonly name: string;
  readonly unit: string;
  readonly attributes: Attributes;
  /** The sum or gauge value; for a histogram, its sum. */
  readonly value: number;
  /** For a histogram: how many values it recorded. */
  readonly count?: number;
}

/** The OpenTelemetry SDK wired with in-memory exporters, installed as Keel's telemetry. */
export interface OtelTestKit {
  /** Every finished span so far, in end order. */
  spans(): ReadableSpan[];
  /** The one finished span named `name`; throws when there is none or several. */
  span(name: string): ReadableSpan;
  /** The finished spans whose parent is `parent`. */
  childrenOf(parent: ReadableSpan): ReadableSpan[];
  /** The span tree as text (see `formatSpanTree`). */
  tree(): string;
  /** Collects every metric now. */
  collect(): Promise<CollectedPoint[]>;
  /** The points of metric `name` whose attributes include `attributes`. */
  points(name: string, attributes?: Attributes): Promise<CollectedPoint[]>;
  /** Sum of the values of metric `name`'s points matching `attributes` (0 when none). */
  value(name: string, attributes?: Attributes): Promise<number>;
  /** Forgets finished spans. */
  resetSpans(): void;
  /** Uninstalls everything (call in `afterEach`). */
  close(): Promise<void>;
}

/** Installs the SDK with in-memory exporters for a test; `close()` it afterwards. */
export function otelTestKit(): OtelTestKit {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const uninstall = installOpenTelemetry({ tracerProvider, meterProvider });
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const collect = async (): Promise<CollectedPoint[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.flatMap(pointsOf));
  };
  const points = async (name: string, attributes: Attributes = {}): Promise<CollectedPoint[]> =>
    (await collect()).filter((point) => point.name === name && includes(point.attributes, attributes));
  return {
    spans,
    span(name) {
      const found = spans().filter((span) => span.name === name);
      if (found.length !== 1) {
        throw new Error(
          `Expected one span named "${name}", found ${found.length}:\n${formatSpanTree(spans())}`,
        );
      }
      return found[0]!;
    },
    childrenOf: (parent) =>
      spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId),
    tree: () => formatSpanTree(spans()),
    collect,
    points,
    value: async (name, attributes) =>
      (await points(name, attributes)).reduce((sum, point) => sum + point.value, 0),
    resetSpans: () => exporter.reset(),
    async close() {
      uninstall();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
      propagation.disable();
      trace.disable();
    },
  };
}

function pointsOf(metric: MetricData): CollectedPoint[] {
  const { name, unit } = metric.descriptor;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return metric.dataPoints.map((point: DataPoint<Histogram>) => ({
      name,
      unit,
      attributes: point.attributes,
      value: point.value.sum ?? 0,
      count: point.value.count,
    }));
  }
  return (metric.dataPoints as DataPoint<number>[]).map((point) => ({
    name,
    unit,
    attributes: point.attributes,
    value: point.value,
  }));
}

function includes(actual: Attributes, expected: Attributes): boolean {
  return Object.entries(expected).every(([key, value]) => actual[key] === value);
}
