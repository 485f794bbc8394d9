import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { CollectionResult, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  assertOptions,
  isKeelError,
  KeelError,
  optionBoolean,
  optionObject,
  optionString,
  raceAbort,
  throwIfAborted,
  withDefaults,
} from '@keel/core';

/** The part of a metric reader that {@link renderPrometheusMetrics} uses (any SDK `MetricReader`). */
export type CollectingReader = Pick<MetricReader, 'collect'>;

/** Options of {@link renderPrometheusMetrics} and {@link writePrometheusMetrics}. */
export interface PrometheusTextOptions {
  /** A prefix for every metric name, as the exporter's `prefix` option. @default '' */
  prefix?: string | undefined;
  /** Leave out the `target_info` metric that carries the resource. @default false */
  withoutTargetInfo?: boolean | undefined;
  /** Leave out the `otel_scope_*` labels. @default false */
  withoutScopeInfo?: boolean | undefined;
  /** Stops waiting for the collection. */
  signal?: AbortSignal | undefined;
}

const DEFAULTS = Object.freeze({ prefix: '', withoutTargetInfo: false, withoutScopeInfo: false });

/** Collecting metrics from a reader failed (a metric producer threw, or the reader is shut down). */
export class MetricsCollectionError extends KeelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('METRICS_COLLECTION_FAILED', message, options);
  }
}

/** Whether `value` is a {@link MetricsCollectionError} (works across two loaded copies). */
export function isMetricsCollectionError(value: unknown): value is MetricsCollectionError {
  return isKeelError(value, 'METRICS_COLLECTION_FAILED');
}

/**
 * Renders the current metrics of a `MeterProvider` in the Prometheus text exposition format:
 * the page Prometheus would scrape from `@opentelemetry/exporter-prometheus`, same names,
 * units and labels. `reader` is the reader your `MeterProvider` was built with, typically the
 * `PrometheusExporter` itself (with `preventServerStart: true` when nothing scrapes it).
 *
 * Collect from cumulative readers only (the Prometheus exporter is): a delta reader would hand
 * the collected values to this call and not to its exporter.
 *
 * @throws MetricsCollectionError when the collection fails or reports errors.
 * @example
 * ```ts
 * const reader = new PrometheusExporter({ preventServerStart: true });
 * const meterProvider = new MeterProvider({ readers: [reader] });
 * installOpenTelemetry({ meterProvider });
 * // … run the workload …
 * console.log(await renderPrometheusMetrics(reader));
 * ```
 */
export async function renderPrometheusMetrics(
  reader: CollectingReader,
  options: PrometheusTextOptions = {},
): Promise<string> {
  const settings = withDefaults(DEFAULTS, options);
  assertOptions('renderPrometheusMetrics', {
    reader: optionObject(reader, 'a MetricReader', ['collect']),
    prefix: settings.prefix === '' ? undefined : optionString(settings.prefix),
    withoutTargetInfo: optionBoolean(settings.withoutTargetInfo),
    withoutScopeInfo: optionBoolean(settings.withoutScopeInfo),
  });
  throwIfAborted(settings.signal);
  let result: CollectionResult;
  try {
    result = await raceAbort(reader.collect(), settings.signal);
  } catch (error) {
    if (settings.signal?.aborted === true) throw error;
    throw new MetricsCollectionError(`Collecting metrics failed: ${messageOf(error)}.`, { cause: error });
  }
  if (result.errors.length > 0) {
    throw new MetricsCollectionError(
      `Collecting metrics reported ${result.errors.length} error(s); the first: ${messageOf(result.errors[0])}.`,
      { cause: result.errors[0] },
    );
  }
  const serializer = new PrometheusSerializer(
    settings.prefix,
    false,
    undefined,
    settings.withoutTargetInfo,
    settings.withoutScopeInfo,
  );
  return serializer.serialize(result.resourceMetrics);
}

/**
 * Writes {@link renderPrometheusMetrics} to `file` (creating its folder) and returns the text:
 * what the examples leave in their output folder as "the metrics Prometheus would scrape".
 *
 * @throws MetricsCollectionError when the collection fails.
 */
export async function writePrometheusMetrics(
  reader: CollectingReader,
  file: string,
  options: PrometheusTextOptions = {},
): Promise<string> {
  const text = await renderPrometheusMetrics(reader, options);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, {
    encoding: 'utf8',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
