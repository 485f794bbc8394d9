// Keel's PostgresEventStore against Emmett's PostgreSQL event store (0.42) and a raw `pg` floor on
// one PostgreSQL server, interleaved in one process: appends per second for 1 and 8 writers x
// batches of 1 and 10, with the default commit and with synchronous_commit = off; the read-back
// of a 10,000-event stream; and the lag of a batched ProjectionRunner following 8 writers.
// Needs the server at KEEL_PG_URL (default postgres://postgres@127.0.0.1:5432/test); every
// contender works in a schema of its own, dropped at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { measureAppends, measureRebuild, recordAppends } from '../postgres/appendBench.js';
import { createSchemas, dropSchemas } from '../postgres/contenders.js';
import { measureProjectionLag } from '../postgres/projectionLag.js';
import { APPEND_MS, LAG_MS, PG_URL, ROUNDS, SLICES } from '../postgres/settings.js';

/** The installed version of a dependency (some do not export their package.json). */
const versionOf = (name: string): string =>
  (
    JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      version: string;
    }
  ).version;

async function serverVersion(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version;
  } catch (error) {
    console.log(`PostgreSQL suite skipped: no server at ${PG_URL} (${(error as Error).message}).`);
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function run(): Promise<void> {
  const server = await serverVersion();
  if (server === undefined) return;
  console.log(
    `PostgreSQL ${server}; emmett-postgresql ${versionOf('@event-driven-io/emmett-postgresql')}, ` +
      `pongo ${versionOf('@event-driven-io/pongo')}, dumbo ${versionOf('@event-driven-io/dumbo')}, pg ${versionOf('pg')}; ` +
      `${ROUNDS} round(s) of ${APPEND_MS} ms per append setting in ${SLICES} slices, projection lag over ${LAG_MS} ms`,
  );
  await dropSchemas();
  try {
    await createSchemas();
    recordAppends(await measureAppends());
    await measureRebuild();
    await measureProjectionLag();
  } finally {
    await dropSchemas();
  }
}
