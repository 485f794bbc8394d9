import type { Projection, RecordedEvent } from '@keel/eventsourcing';
import { definePostgresProjection, sqlSchema } from '@keel/postgres';
import type { SqlExecutor, SqlTransaction } from '@keel/postgres';
import type { AccountEvents } from '../account.js';
import type { BalanceRow } from '../balances.js';

type AccountEvent = {
  [TType in keyof AccountEvents]: { type: TType; data: AccountEvents[TType] };
}[keyof AccountEvents];

/** The projection's name: its checkpoint and lease are kept under it. */
export const BALANCES_TABLE_PROJECTION = 'account-balances-table';

const STREAM_PREFIX = 'Account-';

/** What one event changes in an account's row. */
interface RowChange {
  readonly owner?: string;
  readonly deltaCents?: number;
  readonly transactions?: number;
  readonly closed?: boolean;
}

/** The balances table of `schema`, quoted. */
function tableOf(schema: string): string {
  return sqlSchema(schema).table('account_balances');
}

/**
 * Creates the balances table if it is missing: the read model of {@link balancesTableProjection},
 * the rows of the in-memory `BalancesReadModel` kept in the database instead.
 */
export async function createBalancesTable(client: SqlExecutor, schema: string): Promise<void> {
  await client.exec(
    `CREATE TABLE IF NOT EXISTS ${tableOf(schema)} (
       account_id text PRIMARY KEY,
       owner text NOT NULL,
       balance_cents bigint NOT NULL,
       transactions integer NOT NULL,
       closed boolean NOT NULL,
       version integer NOT NULL
     )`,
  );
}

/**
 * The balances read model as a PostgreSQL projection: each batch's rows and its checkpoint
 * commit in one transaction (exactly once), so the read model survives restarts and a new
 * owner continues where the last one committed. Rows also keep the stream version they applied
 * and skip older events, like `BalancesReadModel`.
 *
 * @param schema The schema of the `account_balances` table.
 */
export function balancesTableProjection(schema: string): Projection {
  const table = tableOf(schema);
  const apply = (tx: SqlTransaction, event: RecordedEvent, change: RowChange) =>
    tx.query(
      `INSERT INTO ${table} AS row (account_id, owner, balance_cents, transactions, closed, version)
       VALUES ($1, coalesce($2::text, ''), $3::bigint, $4::integer, $5::boolean, $6::integer)
       ON CONFLICT (account_id) DO UPDATE SET
         owner = coalesce($2::text, row.owner),
         balance_cents = row.balance_cents + $3::bigint,
         transactions = row.transactions + $4::integer,
         closed = row.closed OR $5::boolean,
         version = $6::integer
       WHERE row.version < $6::integer`,
      [
        event.streamName.slice(STREAM_PREFIX.length),
        change.owner ?? null,
        change.deltaCents ?? 0,
        change.transactions ?? 0,
        change.closed ?? false,
        event.streamVersion,
      ],
    );
  return definePostgresProjection<AccountEvent>({
    name: BALANCES_TABLE_PROJECTION,
    streamPrefix: STREAM_PREFIX,
    handlers: {
      AccountOpened: (event, { tx }) => apply(tx, event, { owner: event.data.owner }),
      MoneyDeposited: (event, { tx }) =>
        apply(tx, event, { deltaCents: event.data.amountCents, transactions: 1 }),
      MoneyWithdrawn: (event, { tx }) =>
        apply(tx, event, { deltaCents: -event.data.amountCents, transactions: 1 }),
      AccountClosed: (event, { tx }) => apply(tx, event, { closed: true }),
    },
    reset: ({ tx }) => tx.query(`TRUNCATE ${table}`),
  });
}

/** Every row of the balances table, by account id. */
export async function readBalancesTable(client: SqlExecutor, schema: string): Promise<BalanceRow[]> {
  const { rows } = await client.query<{
    account_id: string;
    owner: string;
    balance_cents: string | number;
    transactions: number;
    closed: boolean;
    version: number;
  }>(`SELECT * FROM ${tableOf(schema)} ORDER BY account_id`);
  return rows.map((row) => ({
    accountId: row.account_id,
    owner: row.owner,
    balanceCents: Number(row.balance_cents),
    transactions: row.transactions,
    closed: row.closed,
    version: row.version,
  }));
}
