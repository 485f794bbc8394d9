import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { defineMetric, isValidationError, recordMetric } from '@keel/core';
import type { Disposer } from '@keel/core';
import { installOpenTelemetry } from '../provider/openTelemetryProvider.js';
import {
  isMetricsCollectionError,
  renderPrometheusMetrics,
  writePrometheusMetrics,
} from './prometheusText.js';

const HITS = defineMetric({
  name: 'keel.test.hits',
  kind: 'counter',
  unit: '{hit}',
  description: 'Test hits.',
});
const DURATION = defineMetric({
  name: 'keel.test.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Test durations.',
  buckets: [0.1, 1],
});

let reader: PrometheusExporter;
let meterProvider: MeterProvider;
let uninstall: Disposer;
beforeEach(() => {
  reader = new PrometheusExporter({ preventServerStart: true });
  meterProvider = new MeterProvider({ readers: [reader] });
  uninstall = installOpenTelemetry({ meterProvider });
});
afterEach(async () => {
  uninstall();
  await meterProvider.shutdown();
});

describe('renderPrometheusMetrics', () => {
  it('renders counters and histograms as Prometheus text with their attributes as labels', async () => {
    recordMetric(HITS, 2, { 'keel.cache.name': 'users' });
    recordMetric(HITS, 1, { 'keel.cache.name': 'users' });
    recordMetric(DURATION, 0.5, { 'keel.outcome': 'success' });
    const text = await renderPrometheusMetrics(reader, { withoutScopeInfo: true, withoutTargetInfo: true });
    expect(text).toContain('# TYPE keel_test_hits_total counter');
    expect(text).toMatch(/^keel_test_hits_total\{keel_cache_name="users"\} 3$/m);
    expect(text).toMatch(/^keel_test_duration_bucket\{keel_outcome="success",le="1"\} 1$/m);
    expect(text).toMatch(/^keel_test_duration_count\{keel_outcome="success"\} 1$/m);
  });

  it('collects again on every call, so the text follows the metrics', async () => {
    recordMetric(HITS, 1);
    expect(await renderPrometheusMetrics(reader)).toMatch(/^keel_test_hits_total(\{[^}]*\})? 1$/m);
    recordMetric(HITS, 4);
    expect(await renderPrometheusMetrics(reader)).toMatch(/^keel_test_hits_total(\{[^}]*\})? 5$/m);
  });

  it('prefixes every metric name when asked', async () => {
    recordMetric(HITS, 1);
    expect(await renderPrometheusMetrics(reader, { prefix: 'shop' })).toContain('shop_keel_test_hits_total');
  });

  it('keeps target_info and scope labels by default, as the exporter serves them', async () => {
    recordMetric(HITS, 1);
    const text = await renderPrometheusMetrics(reader);
    expect(text).toContain('target_info');
    expect(text).toContain('otel_scope_name="@keel/opentelemetry"');
  });

  it('rejects with the reason of an aborted signal before collecting', async () => {
    const reason = new Error('stop');
    await expect(renderPrometheusMetrics(reader, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('wraps a failing collection in a MetricsCollectionError', async () => {
    const failing = { collect: () => Promise.reject(new Error('reader is shut down')) };
    const error = await renderPrometheusMetrics(failing as never).catch((caught: unknown) => caught);
    expect(isMetricsCollectionError(error)).toBe(true);
    expect((error as Error).message).toContain('reader is shut down');
  });

  it('fails when the collection reports errors instead of rendering part of the metrics', async () => {
    const partial = {
      collect: async () => ({ resourceMetrics: { resource: {}, scopeMetrics: [] }, errors: ['x', 'y'] }),
    };
    await expect(renderPrometheusMetrics(partial as never)).rejects.toThrow(/2 error\(s\)/);
  });

  it('refuses a reader without collect() and bad options in one ValidationError', async () => {
    const error = await renderPrometheusMetrics({} as never, {
      prefix: 7 as never,
      withoutScopeInfo: 'yes' as never,
    }).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/3 problems/);
  });
});

describe('writePrometheusMetrics', () => {
  it('writes the text to a file, creating its folder, and returns it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keel-prom-'));
    try {
      recordMetric(HITS, 3);
      const file = join(dir, 'out', 'metrics.prom');
      const text = await writePrometheusMetrics(reader, file);
      expect(await readFile(file, 'utf8')).toBe(text);
      expect(text).toMatch(/^keel_test_hits_total(\{[^}]*\})? 3$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
