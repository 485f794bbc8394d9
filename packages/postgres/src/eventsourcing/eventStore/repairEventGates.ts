import { throwIfAborted } from '@keel/core';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toNumber } from '../../internal/normalize.js';

/** Options of {@link repairEventGates}. */
export interface RepairEventGatesOptions {
  /** The schema that holds the `events` table. @default 'keel' */
  schema?: string;
  /** Checked before starting. */
  signal?: AbortSignal;
}

/** What {@link repairEventGates} found and did. */
export interface RepairEventGatesResult {
  /** Rows whose gate was ahead of the server's transaction ids and is now cleared. */
  readonly repaired: number;
}

/**
 * Makes the global order readable again after the database was restored into another cluster
 * (from `pg_dump`, or a file-level copy of another server). Event rows carry the transaction id
 * of their append as a gate (see `PostgresEventStore`); a restored cluster counts transaction ids
 * from a lower number, so rows whose gate is ahead of it and that follow a hole (a rolled-back
 * append) would stay hidden from `readAll` and subscriptions until the new cluster catches up. Every restored row is committed, so this clears
 * the gates that are ahead of the server and resets the gate register. It does nothing (and is
 * cheap) on a healthy database: run it after a restore, or at startup if restores are routine.
 *
 * @returns How many rows it repaired (0 when nothing was wrong).
 * @example
 * ```ts
 * await migrate(client);
 * await repairEventGates(client);
 * ```
 */
export async function repairEventGates(
  client: SqlExecutor,
  options: RepairEventGatesOptions = {},
): Promise<RepairEventGatesResult> {
  throwIfAborted(options.signal);
  const schema = sqlSchema(options.schema ?? 'keel');
  return client.transaction(
    async (tx) => {
      const next = `pg_snapshot_xmax(pg_current_snapshot())::text::bigint`;
      const { rows } = await tx.query<{ ahead: boolean }>(
        `SELECT last_value >= ${next} AS ahead FROM ${schema.quoted}.events_gate`,
      );
      if (rows[0]?.ahead !== true) return { repaired: 0 };
      // Appends take this lock to draw positions: none may draw while the register is reset.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`keel.events:${schema.name}`]);
      const updated = await tx.query<{ count: unknown }>(
        `WITH cleared AS (UPDATE ${schema.table('events')} SET gate_xid = 0 WHERE gate_xid >= ${next} RETURNING 1)
       SELECT count(*) AS count FROM cleared`,
      );
      await tx.query(`SELECT setval('${schema.quoted}.events_gate'::regclass, 0)`);
      return { repaired: toNumber(updated.rows[0]?.count ?? 0) };
    },
    options.signal === undefined ? {} : { signal: options.signal },
  );
}
