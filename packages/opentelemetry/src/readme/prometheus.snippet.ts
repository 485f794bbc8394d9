import { installOpenTelemetry } from '@keel/opentelemetry';
import { writePrometheusMetrics } from '@keel/opentelemetry/prometheus';
import { LruCache } from '@keel/scaling';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

const reader = new PrometheusExporter({ preventServerStart: true });
const meterProvider = new MeterProvider({ readers: [reader] });
const uninstall = installOpenTelemetry({ meterProvider });

const users = new LruCache<string, string>({ name: 'users', max: 1_000 }); // the workload
users.get('u1'); // a miss, counted in keel_cache_* metrics

await writePrometheusMetrics(reader, 'out/metrics.prom');
uninstall();
await meterProvider.shutdown();
