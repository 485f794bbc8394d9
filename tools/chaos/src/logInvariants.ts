import { PostgresEventStore, PostgresProjectionCheckpoints, sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';
import { ProjectionRunner } from '@keel/eventsourcing';
import type { DriverLedger } from './driver.js';
import { chaosProjections, LIVE_PROJECTIONS } from './projections.js';
import type { ChaosProjectionNames } from './projections.js';
import type { Checked } from './sagaInvariants.js';
import { readModelSql } from './schema.js';

/** What the log, projection and checkpoint checks counted, for the report. */
export interface LogFigures {
  /** Events in the global log. */
  readonly events: number;
  readonly head: number;
  /** Checkpoint writes recorded by the audit trigger. */
  readonly checkpointWrites: number;
  /** Times a worker lease (a projection, the outbox topic) was taken: first owner or a takeover. */
  readonly leaseAcquisitions: number;
}

/** The names the checker rebuilds the projections under, from zero. */
const REBUILD: ChaosProjectionNames = Object.freeze({
  streams: { name: 'chaos-streams-rebuild', table: 'rebuild_streams' },
  types: { name: 'chaos-types-rebuild', table: 'rebuild_types' },
});

/**
 * Every acknowledged append's events are in the global log exactly once, events of commands with
 * an unknown outcome at most once, nothing else is there; each stream's versions run 1…n without
 * a gap; reading the log through the store returns every event once, in order.
 */
export async function checkLog(client: SqlExecutor, schema: string, ledger: DriverLedger): Promise<string[]> {
  const { rows } = await client.query<{ id: string; n: number }>(
    `SELECT event_id AS id, count(*)::int AS n FROM ${sqlSchema(schema).table('events')} GROUP BY 1`,
  );
  const inLog = new Map(rows.map((row) => [row.id, row.n]));
  const violations: string[] = [];
  for (const append of ledger.appends) {
    for (const id of append.eventIds) {
      const times = inLog.get(id) ?? 0;
      if (times !== 1)
        violations.push(`event ${id} (acknowledged, ${append.stream}) is in the log ${times} time(s)`);
    }
  }
  const known = new Set([...ledger.appends, ...ledger.uncertainAppends].flatMap((append) => append.eventIds));
  for (const [id, times] of inLog) {
    if (!known.has(id)) violations.push(`event ${id} is in the log but the driver never appended it`);
    else if (times > 1) violations.push(`event ${id} is in the log ${times} times`);
  }
  const { rows: gaps } = await client.query<{ stream: string; n: number; last: number }>(
    `SELECT stream_name AS stream, count(*)::int AS n, max(stream_version)::int AS last
     FROM ${sqlSchema(schema).table('events')} GROUP BY 1 HAVING count(*) <> max(stream_version)`,
  );
  for (const gap of gaps)
    violations.push(`stream ${gap.stream} has ${gap.n} events but reaches version ${gap.last}`);
  violations.push(...(await checkReadAll(client, schema, inLog.size)));
  return violations;
}

async function checkReadAll(client: SqlExecutor, schema: string, expected: number): Promise<string[]> {
  const store = new PostgresEventStore(client, { schema });
  let count = 0;
  let last = 0;
  const violations: string[] = [];
  for await (const event of store.readAll()) {
    if (event.globalPosition <= last && violations.length < 5)
      violations.push(`readAll returned position ${event.globalPosition} after ${last}`);
    last = event.globalPosition;
    count++;
  }
  if (count !== expected)
    violations.push(`readAll returned ${count} events, the events table holds ${expected}`);
  return violations;
}

/**
 * Each projection's read model equals a fresh rebuild: the same projection code run from zero
 * over the whole log into other tables (row by row, both ways); each caught up to the head.
 */
export async function checkProjections(client: SqlExecutor, schema: string): Promise<string[]> {
  const table = sqlSchema(schema);
  const store = new PostgresEventStore(client, { schema });
  const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
  // From zero every time: a check run twice rebuilds twice.
  for (const { name, table: rebuilt } of Object.values(REBUILD)) {
    await checkpoints.delete(name);
    await client.exec(`DROP TABLE IF EXISTS ${table.table(rebuilt)}; ${readModelSql(table, rebuilt)}`);
  }
  for (const projection of chaosProjections(schema, REBUILD)) {
    await new ProjectionRunner(store, projection, { checkpoints }).catchUp();
  }
  const violations: string[] = [];
  for (const key of ['streams', 'types'] as const) {
    const live = table.table(LIVE_PROJECTIONS[key].table);
    const fresh = table.table(REBUILD[key].table);
    const { rows } = await client.query<{ side: string; key: string; events: number; amount: string }>(
      `(SELECT 'live' AS side, * FROM (SELECT * FROM ${live} EXCEPT SELECT * FROM ${fresh}) a)
       UNION ALL (SELECT 'rebuild' AS side, * FROM (SELECT * FROM ${fresh} EXCEPT SELECT * FROM ${live}) b)`,
    );
    for (const row of rows.slice(0, 10)) {
      violations.push(
        `projection ${LIVE_PROJECTIONS[key].name}: ${row.side} row ${JSON.stringify(row)} differs from the other side`,
      );
    }
    if (rows.length > 10)
      violations.push(`projection ${LIVE_PROJECTIONS[key].name}: ${rows.length - 10} more rows differ`);
  }
  const head = await store.headPosition();
  for (const { name } of Object.values(LIVE_PROJECTIONS)) {
    const position = (await checkpoints.load(name)) ?? 0;
    if (position !== head)
      violations.push(`projection ${name} checkpoint is at ${position}, the log's head at ${head}`);
  }
  return violations;
}

/** No checkpoint ever moved backwards or was deleted, and no lease token ever went down. */
export async function checkAudits(client: SqlExecutor, schema: string): Promise<Checked<LogFigures>> {
  const table = sqlSchema(schema);
  const { rows: back } = await client.query<{
    id: string;
    name: string;
    operation: string;
    old: string;
    new: string;
  }>(
    `SELECT id::text, name, operation, old_position::text AS old, new_position::text AS new
     FROM ${table.table('checkpoint_audit')}
     WHERE (operation = 'DELETE' OR new_position < old_position) AND name NOT LIKE '%-rebuild' ORDER BY id`,
  );
  const violations = back.map(
    (row) =>
      `checkpoint ${row.name} ${row.operation === 'DELETE' ? 'deleted' : 'moved backwards'}: ${row.old} → ${row.new ?? 'none'} (audit #${row.id})`,
  );
  const { rows: tokens } = await client.query<{ name: string; old: string; new: string }>(
    `SELECT name, old_token::text AS old, new_token::text AS new FROM ${table.table('lease_audit')}
     WHERE operation = 'DELETE' OR new_token < old_token ORDER BY id`,
  );
  for (const row of tokens)
    violations.push(`lease ${row.name} token went from ${row.old} to ${row.new ?? 'deleted'}`);
  const { rows } = await client.query<{ writes: number; takes: number; events: number; head: number }>(
    `SELECT (SELECT count(*)::int FROM ${table.table('checkpoint_audit')} WHERE name NOT LIKE '%-rebuild') AS writes,
            (SELECT count(*)::int FROM ${table.table('lease_audit')}
              WHERE new_owner IS NOT NULL AND (operation = 'INSERT' OR new_token > old_token)) AS takes,
            (SELECT count(*)::int FROM ${table.table('events')}) AS events,
            (SELECT coalesce(max(global_position), 0)::int FROM ${table.table('events')}) AS head`,
  );
  const row = rows[0] ?? { writes: 0, takes: 0, events: 0, head: 0 };
  return {
    violations,
    figures: {
      events: row.events,
      head: row.head,
      checkpointWrites: row.writes,
      leaseAcquisitions: row.takes,
    },
  };
}
