import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installOpenTelemetry } from '../provider/openTelemetryProvider.js';
import { writePrometheusMetrics } from '../prometheus/prometheusText.js';
import { formatSpanTree } from '../spanTree/formatSpanTree.js';

/** One recorded trace: every finished span that shares a trace id, and the span that began it. */
export interface RecordedTrace {
  readonly traceId: string;
  /** The span without a parent in this trace (the earliest one if several). */
  readonly root: ReadableSpan;
  /** Every span of the trace, in the order they ended. */
  readonly spans: readonly ReadableSpan[];
}

/** The OpenTelemetry SDK wired by {@link recordLocally}: spans kept in memory, metrics ready to scrape. */
export interface LocalTelemetry {
  /** Every finished span so far. */
  spans(): readonly ReadableSpan[];
  /** The recorded traces whose root span matches `rootName`, oldest first. */
  traces(rootName: string | RegExp): RecordedTrace[];
  /** Writes the metrics in the Prometheus text format (what a scrape would read) to `file`. */
  writeMetrics(file: string): Promise<string>;
  /** Uninstalls Keel's telemetry and shuts the SDK down. */
  close(): Promise<void>;
}

/**
 * Sets up the OpenTelemetry SDK for one process run, with nothing to export to: spans are kept
 * in memory (print them with {@link formatTrace}), metrics can be written as the Prometheus page
 * a scrape would read, and Keel's telemetry is installed over both. For demos, examples, local
 * runs and tests; a service exports to a collector instead (see the observability guide).
 *
 * Needs the optional peers `@opentelemetry/sdk-trace-base`, `@opentelemetry/sdk-metrics`,
 * `@opentelemetry/context-async-hooks`, `@opentelemetry/resources` and
 * `@opentelemetry/exporter-prometheus`.
 *
 * @example
 * ```ts
 * const telemetry = recordLocally('bank-account');
 * await bank.openAccount('ada');
 * for (const trace of telemetry.traces('send OpenAccount')) console.log(formatTrace(trace));
 * await telemetry.writeMetrics('out/metrics.prom');
 * await telemetry.close();
 * ```
 */
export function recordLocally(serviceName: string): LocalTelemetry {
  // Without a context manager a span would not stay active across `await`.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  // The Prometheus exporter is a metric reader; nothing scrapes it here, so it serves no port.
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const uninstall = installOpenTelemetry({ tracerProvider, meterProvider });
  return {
    spans: () => exporter.getFinishedSpans(),
    traces: (rootName) => tracesOf(exporter.getFinishedSpans(), rootName),
    writeMetrics: (file) => writePrometheusMetrics(reader, file),
    async close() {
      uninstall();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
    },
  };
}

/** Groups `spans` by trace and keeps the traces whose root is named `rootName`, oldest first. */
export function tracesOf(spans: readonly ReadableSpan[], rootName: string | RegExp): RecordedTrace[] {
  const byTrace = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const traceId = span.spanContext().traceId;
    const members = byTrace.get(traceId);
    if (members === undefined) byTrace.set(traceId, [span]);
    else members.push(span);
  }
  const traces: RecordedTrace[] = [];
  for (const [traceId, members] of byTrace) {
    const ids = new Set(members.map((span) => span.spanContext().spanId));
    const roots = members.filter((span) => !ids.has(span.parentSpanContext?.spanId ?? ''));
    const root = roots.sort((a, b) => startOf(a) - startOf(b))[0];
    if (root === undefined) continue;
    const matches = typeof rootName === 'string' ? root.name === rootName : rootName.test(root.name);
    if (matches) traces.push({ traceId, root, spans: members });
  }
  return traces.sort((a, b) => startOf(a.root) - startOf(b.root));
}

/**
 * A recorded trace as an indented tree: names, durations, ERROR status, and span events when
 * asked. `exception` events are left out: a failed span's line already carries the error.
 */
export function formatTrace(trace: RecordedTrace, options: { readonly events?: boolean } = {}): string {
  const spans = trace.spans.map((span) => ({
    name: span.name,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    duration: span.duration,
    status: span.status,
    links: span.links,
    events: span.events.filter((event) => event.name !== 'exception'),
  }));
  return formatSpanTree(spans, { events: options.events ?? false });
}

function startOf(span: ReadableSpan): number {
  return span.startTime[0] * 1e9 + span.startTime[1];
}
