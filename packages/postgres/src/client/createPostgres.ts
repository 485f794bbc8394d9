import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  assertOptions,
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import { DatabaseUnreachableError } from '../errors.js';
import { pgliteTarget, pgTarget } from './connectionFailure.js';
import { MissingDriverError } from '../errors.js';
import { fromPglite } from './pgliteClient.js';
import type { PgliteLike } from './pgliteClient.js';
import { fromPgPool } from './pgPoolClient.js';
import type { PgPoolLike } from './pgPoolClient.js';
import type { SqlClient } from './sqlClient.js';

/** Options of {@link createPostgres}. */
export interface CreatePostgresOptions {
  /**
   * A PostgreSQL connection URL. When set (and not empty) a `pg` pool connects to it; pass
   * `process.env.KEEL_PG_URL` to let the environment choose. @default undefined (embedded PGlite)
   */
  url?: string | undefined;
  /**
   * Where the embedded PGlite database keeps its files; ignored when `url` is set.
   * @default undefined (in memory, gone when the process exits)
   */
  dataDir?: string | undefined;
  /** The most connections of the `pg` pool; ignored for PGlite. @default 10 */
  maxConnections?: number | undefined;
  /**
   * Told which database is used and when an embedded PGlite database starts and finishes
   * opening (info; it takes seconds), where errors of idle pooled connections are reported (the
   * pool replaces them), and where the LISTEN connection reports being lost and back.
   * @default noopLogger
   */
  logger?: Logger | undefined;
  /** Times the waits before listening again after the LISTEN connection was lost. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link CreatePostgresOptions}. */
export const CREATE_POSTGRES_DEFAULTS = Object.freeze({ maxConnections: 10 });

async function importDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new MissingDriverError(name, error);
  }
}

type PgModule = {
  Pool: new (config: { connectionString: string; max: number }) => PgPoolLike & {
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
};

type Settings = ReturnType<typeof settingsOf>;

function settingsOf(options: CreatePostgresOptions | undefined) {
  const settings = withDefaults(
    { ...CREATE_POSTGRES_DEFAULTS, logger: noopLogger, clock: systemClock },
    options,
  );
  assertOptions('createPostgres', {
    url: settings.url === '' ? undefined : optionString(settings.url),
    dataDir: settings.dataDir === '' ? undefined : optionString(settings.dataDir),
    maxConnections: optionInteger(settings.maxConnections, { min: 1 }),
    logger: optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error'] }),
    clock: optionClock(settings.clock, ['sleep']),
  });
  return settings;
}

async function createPgPool(url: string, settings: Settings): Promise<SqlClient> {
  const { maxConnections, logger, clock } = settings;
  logger.info(
    `Using PostgreSQL at ${pgTarget({ connectionString: url }).where} through a pool of up to ${maxConnections} connections.`,
  );
  const module = await importDriver('pg', () => import('pg'));
  const pg = ((module as { default?: unknown }).default ?? module) as PgModule;
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (error) => logger.warn('An idle PostgreSQL connection failed.', { error: error.message }));
  return fromPgPool(pool, { logger, clock });
}

async function createPglite(dataDir: string | undefined, logger: Logger): Promise<SqlClient> {
  const module = await importDriver('@electric-sql/pglite', () => import('@electric-sql/pglite'));
  const target = pgliteTarget(dataDir);
  // Opening takes seconds (PostgreSQL starts in WebAssembly): say so, rather than look stuck.
  logger.info(`Opening the embedded PGlite database ${target.where}; this takes a few seconds.`, {
    dataDir: dataDir ?? null,
  });
  try {
    // PGlite creates only the last folder of a path; create its parents so `./.data/keel` just works.
    if (dataDir !== undefined && !dataDir.includes('://')) await mkdir(dirname(dataDir), { recursive: true });
    const db = await module.PGlite.create(dataDir);
    logger.info(`Opened the embedded PGlite database ${target.where}.`, { dataDir: dataDir ?? null });
    return fromPglite(db as unknown as PgliteLike);
  } catch (error) {
    throw new DatabaseUnreachableError(error, target);
  }
}

/**
 * Opens the database Keel's stores run on: a real PostgreSQL server when `url` is given, else
 * the embedded default, PGlite (in memory, or persisted to `dataDir`). The same SQL runs on both.
 * Run {@link migrate} once before using the stores; `close()` the client at shutdown.
 *
 * @throws {ValidationError} when an option is not valid (e.g. `maxConnections` below 1).
 * @throws {MissingDriverError} when `pg` (for a URL) or `@electric-sql/pglite` is not installed.
 * @throws {DatabaseUnreachableError} when the PGlite directory cannot be opened; with a URL, the
 * first statement rejects with it when the server cannot be reached.
 * @example
 * ```ts
 * const client = await createPostgres({ url: process.env.KEEL_PG_URL, dataDir: './.data/keel' });
 * await migrate(client);
 * ```
 */
export async function createPostgres(options?: CreatePostgresOptions): Promise<SqlClient> {
  const settings = settingsOf(options);
  if (settings.url !== undefined && settings.url !== '') return createPgPool(settings.url, settings);
  return createPglite(settings.dataDir, settings.logger);
}
