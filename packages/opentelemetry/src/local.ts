// The `@keel/opentelemetry/local` entry: needs the optional SDK peers (trace, metrics, context
// manager, resources, Prometheus exporter).
export { recordLocally, tracesOf, formatTrace } from './local/localTelemetry.js';
export type { LocalTelemetry, RecordedTrace } from './local/localTelemetry.js';
