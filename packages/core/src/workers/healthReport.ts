import type { WorkerHealth, WorkerStatus } from './worker.js';

/** The overall verdict of a {@link HealthReport}: `pass` healthy and ready, `warn` healthy but not ready, `fail` unhealthy. */
export type HealthVerdict = 'pass' | 'warn' | 'fail';

/** One worker's entry in a {@link HealthReport}. */
export interface WorkerHealthReport {
  readonly status: WorkerStatus;
  readonly healthy: boolean;
  readonly ready: boolean;
  readonly error?: string;
  /** The worker's details, reduced to plain JSON (bigints as strings, errors as messages). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A plain-JSON health document of a worker host: what an HTTP health endpoint serves as is
 * (`JSON.stringify(host.healthReport())`), with HTTP 200 for `pass`/`warn` and 503 for `fail`
 * on a liveness route, 200 only for `pass` on a readiness route.
 */
export interface HealthReport {
  readonly status: HealthVerdict;
  /** Every worker is healthy (a liveness probe's answer). */
  readonly healthy: boolean;
  /** The host runs and every worker is ready (a readiness probe's answer). */
  readonly ready: boolean;
  /** When the report was made, as an ISO 8601 string from the host's clock. */
  readonly time: string;
  /** Each worker by name. */
  readonly workers: Readonly<Record<string, WorkerHealthReport>>;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** `details` as plain JSON; a value JSON cannot hold (a cycle) is replaced by a note, never thrown. */
function plainDetails(details: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  try {
    return JSON.parse(JSON.stringify(details, jsonReplacer)) as Record<string, unknown>;
  } catch (error) {
    return { unserializable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Builds the {@link HealthReport} of a set of worker healths.
 * @param workers Each worker's health.
 * @param ready Whether the host counts as ready (it runs and every worker is ready).
 * @param now The time of the report, in ms since the epoch.
 */
export function buildHealthReport(
  workers: readonly WorkerHealth[],
  ready: boolean,
  now: number,
): HealthReport {
  const healthy = workers.every((worker) => worker.healthy);
  const entries = workers.map((worker): [string, WorkerHealthReport] => [
    worker.name,
    {
      status: worker.status,
      healthy: worker.healthy,
      ready: worker.ready,
      ...(worker.error === undefined ? {} : { error: worker.error }),
      ...(worker.details === undefined ? {} : { details: plainDetails(worker.details) }),
    },
  ]);
  return {
    status: !healthy ? 'fail' : ready ? 'pass' : 'warn',
    healthy,
    ready,
    time: new Date(now).toISOString(),
    workers: Object.fromEntries(entries),
  };
}
