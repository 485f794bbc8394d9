import { assertOptions, optionInteger, optionRule, optionString, withDefaults } from '@keel/core';
import { DEFAULT_DATA_DIR } from '../infrastructure.js';

/** How the worker service runs; read from the environment by {@link readWorkerConfig}. */
export interface WorkerConfig {
  /** The probe server's port; `0` picks a free one (printed at start). Env `PORT`. */
  readonly port: number;
  /** The interface the probe server listens on. Env `HOST`. */
  readonly host: string;
  /** A PostgreSQL server; empty means embedded PGlite in {@link dataDir}. Env `KEEL_PG_URL`. */
  readonly url: string;
  /** The schema of the event store, checkpoints, leases and the balances table. Env `KEEL_PG_SCHEMA`. */
  readonly schema: string;
  /** Where embedded PGlite keeps its files (kept between runs). Env `KEEL_DATA_DIR`. */
  readonly dataDir: string;
  /** How long in-flight batches may take to commit after `SIGTERM`, in ms. Env `KEEL_STOP_DEADLINE_MS`. */
  readonly stopDeadlineMs: number;
  /** How often the projection daemon renews leases and refreshes lag, in ms. Env `KEEL_HEARTBEAT_MS`. */
  readonly heartbeatMs: number;
}

/** How long a projection's lease lasts without renewal, in ms (the daemon's default). */
export const LEASE_TTL_MS = 30_000;

/** The defaults of {@link WorkerConfig}: the example's embedded database, port 8080. */
export const WORKER_CONFIG_DEFAULTS = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  url: '',
  schema: 'keel',
  dataDir: DEFAULT_DATA_DIR,
  stopDeadlineMs: 10_000,
  heartbeatMs: 10_000,
});

/** A number from an environment variable: unset or empty keeps the default, text stays NaN (refused). */
function numberFrom(value: string | undefined): number | undefined {
  return value === undefined || value.trim() === '' ? undefined : Number(value);
}

/** A string from an environment variable: unset keeps the default (an empty URL means PGlite). */
function textFrom(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.trim();
}

/**
 * Reads the worker service's settings from `env`. Unset variables keep their defaults: the same
 * embedded PGlite database `pnpm start` writes (`out/.data/pglite`), schema `keel`, port 8080.
 *
 * @param env The environment. @default process.env
 * @throws {ValidationError} listing every bad variable at once (e.g. `PORT=http`).
 */
export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const config = withDefaults(WORKER_CONFIG_DEFAULTS, {
    port: numberFrom(env['PORT']),
    host: textFrom(env['HOST']) || undefined,
    url: textFrom(env['KEEL_PG_URL']),
    schema: textFrom(env['KEEL_PG_SCHEMA']) || undefined,
    dataDir: textFrom(env['KEEL_DATA_DIR']) || undefined,
    stopDeadlineMs: numberFrom(env['KEEL_STOP_DEADLINE_MS']),
    heartbeatMs: numberFrom(env['KEEL_HEARTBEAT_MS']),
  });
  assertOptions('the worker service environment', {
    PORT: optionInteger(config.port, { min: 0, max: 65_535 }),
    KEEL_PG_SCHEMA: optionString(config.schema, true),
    KEEL_STOP_DEADLINE_MS: optionInteger(config.stopDeadlineMs, { min: 0 }),
    KEEL_HEARTBEAT_MS:
      optionInteger(config.heartbeatMs, { min: 1 }) ??
      optionRule(config.heartbeatMs < LEASE_TTL_MS, `must be below the lease ttl (${LEASE_TTL_MS} ms).`),
  });
  return Object.freeze(config);
}
