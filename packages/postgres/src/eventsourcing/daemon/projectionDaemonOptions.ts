import {
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionObject,
  optionOneOf,
  optionRule,
  optionString,
  systemClock,
} from '@keel/core';
import type { Clock, Logger, OptionChecks } from '@keel/core';
import type { Projection } from '@keel/eventsourcing';
import type { SqlIsolationLevel } from '../../client/sqlClient.js';
import type { DaemonRunnerOptions } from './projectionSlot.js';

/** A projection of a {@link ProjectionDaemon} with runner options of its own. */
export interface ProjectionDaemonEntry {
  /** The projection (`defineProjection`, `definePostgresProjection`, or your own). */
  readonly projection: Projection;
  /** Overrides the daemon's `runner` options for this projection. */
  readonly runner?: DaemonRunnerOptions | undefined;
}

/** Options of {@link ProjectionDaemon}; an option that is `undefined` keeps its default. */
export interface ProjectionDaemonOptions {
  /** The worker's name in health reports. @default 'projections' */
  name?: string | undefined;
  /** The schema of the `checkpoints` and `worker_leases` tables (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /** This process's id in the lease table; unique per daemon. @default a new UUID v7 */
  ownerId?: string | undefined;
  /**
   * How long a projection's lease lasts without renewal, in ms (an integer >= 2): when an
   * owner dies without releasing (`kill -9`), another daemon takes over at most
   * `leaseTtlMs + heartbeatMs` later.
   * @default 30_000
   */
  leaseTtlMs?: number | undefined;
  /**
   * How often leases are renewed, free projections are tried and figures refreshed, in ms (an
   * integer >= 1, below `leaseTtlMs`; a third of it leaves two renewals of slack).
   * @default 10_000
   */
  heartbeatMs?: number | undefined;
  /** The isolation level of each batch's transaction. @default 'read committed' */
  isolation?: SqlIsolationLevel | undefined;
  /** Runner options of every projection (batch size, policy, dead letters, onFailure …). @default {} */
  runner?: DaemonRunnerOptions | undefined;
  /** The clock of leases, heartbeats and stop deadlines. @default systemClock */
  clock?: Clock | undefined;
  /** Where lease changes and failures are logged. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link ProjectionDaemonOptions}. */
export const PROJECTION_DAEMON_DEFAULTS = Object.freeze({
  name: 'projections',
  schema: 'keel',
  leaseTtlMs: 30_000,
  heartbeatMs: 10_000,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
});

/** The checks of every scalar daemon option (the runner options are checked by each runner). */
export function daemonOptionChecks(
  settings: ProjectionDaemonOptions & typeof PROJECTION_DAEMON_DEFAULTS,
): OptionChecks {
  const { leaseTtlMs, heartbeatMs } = settings;
  const comparable = Number.isInteger(leaseTtlMs) && Number.isInteger(heartbeatMs);
  return {
    name: optionString(settings.name),
    schema: optionString(settings.schema),
    ownerId: optionString(settings.ownerId),
    leaseTtlMs: optionInteger(leaseTtlMs, { min: 2 }),
    heartbeatMs:
      optionInteger(heartbeatMs, { min: 1 }) ??
      optionRule(
        !comparable || heartbeatMs < leaseTtlMs,
        `must be below leaseTtlMs (${leaseTtlMs}), or leases run out between renewals (got ${heartbeatMs}).`,
      ),
    isolation: optionOneOf(settings.isolation, ['read committed', 'repeatable read', 'serializable']),
    runner: optionObject(settings.runner, 'an object of runner options', []),
    clock: optionClock(settings.clock, ['now', 'setTimeout']),
    logger: optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error', 'child'] }),
  };
}

/**
 * The entries as `{ projection, runner }`, with the checks that refuse what is not a projection
 * and duplicate names.
 */
export function daemonEntries(projections: unknown): {
  readonly entries: ProjectionDaemonEntry[];
  readonly checks: OptionChecks;
} {
  const list: unknown[] = Array.isArray(projections) ? projections : [];
  const entries = list.map((item) =>
    item !== null && typeof item === 'object' && 'projection' in item
      ? (item as ProjectionDaemonEntry)
      : { projection: item as Projection },
  );
  const names = entries.map((entry) => (entry.projection as Partial<Projection> | undefined)?.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  const checks: Record<string, string | undefined> = {
    projections:
      optionRule(
        Array.isArray(projections),
        'must be an array of projections or { projection, runner } entries.',
      ) ??
      optionRule(duplicate === undefined, `must have unique names ("${String(duplicate)}" appears twice).`),
  };
  entries.forEach((entry, index) => {
    checks[`projections.${index}`] =
      optionObject(entry.projection, 'a Projection', ['handle'], true) ??
      optionString(entry.projection.name, true) ??
      optionObject(entry.runner, 'an object of runner options', []);
  });
  return { entries, checks };
}
