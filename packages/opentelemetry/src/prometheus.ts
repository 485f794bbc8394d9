// The `@keel/opentelemetry/prometheus` entry: needs the optional peer `@opentelemetry/exporter-prometheus`.
export {
  renderPrometheusMetrics,
  writePrometheusMetrics,
  MetricsCollectionError,
  isMetricsCollectionError,
} from './prometheus/prometheusText.js';
export type { CollectingReader, PrometheusTextOptions } from './prometheus/prometheusText.js';
