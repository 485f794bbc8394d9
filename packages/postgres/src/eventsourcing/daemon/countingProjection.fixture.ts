import type { Projection } from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor, SqlTransaction } from '../../client/sqlClient.js';
import { definePostgresProjection } from '../projections/postgresProjection.js';

/** Hooks a test can put into a counting projection's batch. */
export interface CountingHooks {
  /** Awaited inside the batch transaction before the writes (a gate, a hang until abort …). */
  beforeBatch?: (positions: readonly number[], signal: AbortSignal, tx: SqlTransaction) => Promise<void>;
}

/**
 * A `definePostgresProjection` projection that counts how often each global position was
 * applied (a non-idempotent increment): double-applied positions and lost ones both show.
 */
export class CountingProjection {
  readonly table: string;
  readonly projection: Projection;

  constructor(schema: string, name: string, hooks: CountingHooks = {}) {
    this.table = sqlSchema(schema).table(`seen_${name}`);
    this.projection = definePostgresProjection({
      name,
      handleBatch: async (events, { tx, signal }) => {
        const positions = events.map((event) => event.globalPosition);
        await hooks.beforeBatch?.(positions, signal, tx);
        await this.#apply(tx, positions);
      },
    });
  }

  async create(client: SqlExecutor): Promise<this> {
    await client.exec(`CREATE TABLE ${this.table} (position bigint PRIMARY KEY, times int NOT NULL)`);
    return this;
  }

  async count(client: SqlExecutor): Promise<number> {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table}`);
    return rows[0]?.n ?? 0;
  }

  /** Positions 1..head missing or applied more than once. */
  async anomalies(client: SqlExecutor, head: number): Promise<string[]> {
    const { rows } = await client.query<{ position: number; times: number }>(
      `SELECT g::int AS position, coalesce(a.times, 0) AS times FROM generate_series(1, $1::bigint) AS g
       LEFT JOIN ${this.table} a ON a.position = g WHERE coalesce(a.times, 0) <> 1 ORDER BY g`,
      [head],
    );
    return rows.map((row) => `${row.position} applied ${row.times} times`);
  }

  async #apply(tx: SqlTransaction, positions: readonly number[]): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (position, times) SELECT p, 1 FROM unnest($1::bigint[]) AS p
       ON CONFLICT (position) DO UPDATE SET times = ${this.table}.times + 1`,
      [positions],
    );
  }
}

/** A promise with its resolve function, to hold a batch until the test lets it go. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
