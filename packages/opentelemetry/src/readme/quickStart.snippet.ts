import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { withSpan } from '@keel/core';
import { formatSpanTree, installOpenTelemetry } from '@keel/opentelemetry';

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(tracerProvider);
const uninstall = installOpenTelemetry();

await withSpan('place order', { kind: 'internal' }, async () => 'placed');
console.log(formatSpanTree(exporter.getFinishedSpans()));
uninstall();
