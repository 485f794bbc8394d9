import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createCommand } from '@keel/core';
import type { Disposer } from '@keel/core';
import { createCommandBus } from '@keel/cqrs';
import { constantBackoff, retry } from '@keel/resilience';
import {
  AutoScaler,
  createCacheAside,
  LoadBalancer,
  LruCache,
  MemoryCacheStore,
  roundRobin,
} from '@keel/scaling';
import type { CacheAsideEntry } from '@keel/scaling';
import { installOpenTelemetry } from './provider/openTelemetryProvider.js';
import { renderPrometheusMetrics } from './prometheus/prometheusText.js';
import { freePort, prometheusAvailable, startPrometheus } from './prometheus/prometheusServer.fixture.js';
import type { PrometheusServer, Sample } from './prometheus/prometheusServer.fixture.js';

const up = await prometheusAvailable();

/** Runs real Keel building blocks so each reports its metrics. */
async function produceKeelMetrics(): Promise<void> {
  const users = new LruCache<string, string>({ name: 'prom_users', max: 10 });
  users.set('u1', 'Ada');
  for (const key of ['u1', 'u1', 'u1', 'u2']) users.get(key);

  const profiles = createCacheAside(
    new MemoryCacheStore<string, CacheAsideEntry<string>>({
      cache: new LruCache({ name: 'prom_profiles_store' }),
    }),
    async (key) => `profile ${key}`,
    { name: 'prom_profiles' },
  );
  await profiles.get('p1');
  await profiles.get('p1');

  const balancer = new LoadBalancer(
    [
      { id: 'a', value: 'http://a' },
      { id: 'b', value: 'http://b' },
    ],
    { name: 'prom_api', strategy: roundRobin() },
  );
  for (let call = 0; call < 4; call++) await balancer.execute(async () => 'ok');

  new AutoScaler({ name: 'prom_workers', minReplicas: 2, maxReplicas: 20 }).evaluate([
    { name: 'cpu', current: 200, target: 100 },
  ]);

  const commands = createCommandBus();
  commands.register('PromPlaceOrder', async () => 'placed');
  await commands.execute(createCommand('PromPlaceOrder', {}));
  await commands.execute(createCommand('PromPlaceOrder', {}));

  let attempts = 0;
  await retry({ name: 'prom_payments', maxRetries: 3, backoff: constantBackoff(0) }).execute(async () => {
    if (++attempts < 3) throw new Error('flaky');
    return 'paid';
  });
}

const total = (samples: Sample[]): number => samples.reduce((sum, sample) => sum + sample.value, 0);

describe.runIf(up)('Keel metrics scraped by a real Prometheus server', () => {
  let exporter: PrometheusExporter;
  let meterProvider: MeterProvider;
  let uninstall: Disposer | undefined;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    const port = await freePort();
    exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    await exporter.startServer();
    meterProvider = new MeterProvider({ readers: [exporter] });
    uninstall = installOpenTelemetry({ meterProvider });
    await produceKeelMetrics();
    prometheus = await startPrometheus(`127.0.0.1:${port}`);
    await prometheus.waitFor('up{job="keel"}', (samples) => samples[0]?.value === 1);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    uninstall?.();
    await meterProvider?.shutdown();
  });

  const query = (promql: string) => prometheus!.query(promql);

  it('reads back cache hits, misses and the hit ratio by cache name and kind', async () => {
    expect(
      total(await query('keel_cache_hits_total{keel_cache_name="prom_users",keel_cache_kind="lru"}')),
    ).toBe(3);
    expect(total(await query('keel_cache_misses_total{keel_cache_name="prom_users"}'))).toBe(1);
    expect(total(await query('keel_cache_hit_ratio{keel_cache_name="prom_users"}'))).toBe(0.75);
  });

  it('reads back cache-aside loads and their duration histogram', async () => {
    expect(
      total(await query('keel_cache_loads_total{keel_cache_name="prom_profiles",keel_outcome="success"}')),
    ).toBe(1);
    expect(total(await query('keel_cache_load_duration_count{keel_cache_name="prom_profiles"}'))).toBe(1);
    expect(
      total(
        await query('keel_cache_hits_total{keel_cache_name="prom_profiles",keel_cache_kind="cache-aside"}'),
      ),
    ).toBe(1);
  });

  it('reads back balancer picks per endpoint and no request left in flight', async () => {
    const picks = await query(
      'sum by (keel_endpoint_id) (keel_balancer_picks_total{keel_balancer_name="prom_api"})',
    );
    expect(
      Object.fromEntries(picks.map((sample) => [sample.labels['keel_endpoint_id'], sample.value])),
    ).toEqual({ a: 2, b: 2 });
    expect(total(await query('keel_balancer_in_flight{keel_balancer_name="prom_api"}'))).toBe(0);
  });

  it('reads back the autoscaler decision and its replica gauges', async () => {
    expect(total(await query('keel_autoscaler_desired_replicas{keel_autoscaler_name="prom_workers"}'))).toBe(
      4,
    );
    expect(total(await query('keel_autoscaler_current_replicas{keel_autoscaler_name="prom_workers"}'))).toBe(
      2,
    );
    expect(
      total(
        await query(
          'keel_autoscaler_decisions_total{keel_autoscaler_name="prom_workers",keel_autoscaler_direction="up"}',
        ),
      ),
    ).toBe(1);
  });

  it('reads back command bus messages by type and outcome', async () => {
    expect(
      total(
        await query('keel_bus_messages_total{keel_message_type="PromPlaceOrder",keel_outcome="success"}'),
      ),
    ).toBe(2);
  });

  it('reads back the retries of a resilience policy', async () => {
    expect(total(await query('keel_resilience_retries_total{keel_policy_name="prom_payments"}'))).toBe(2);
  });

  it('stores the same values that renderPrometheusMetrics writes for the examples', async () => {
    const text = await renderPrometheusMetrics(exporter);
    const line = text
      .split('\n')
      .find((row) => row.startsWith('keel_cache_hits_total{') && row.includes('"prom_users"'));
    expect(line?.endsWith(' 3')).toBe(true);
    const scraped = await query('keel_cache_hits_total{keel_cache_name="prom_users"}');
    expect(scraped[0]?.labels['job']).toBe('keel');
    expect(scraped[0]?.labels['otel_scope_name']).toBe('@keel/opentelemetry');
  });
});
