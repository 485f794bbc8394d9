import { PostgresOutbox, sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';
import { CONSUMES, SERVICE_NAMES } from './events.js';
import type { EventType, ServiceName } from './events.js';
import type { RunConfig } from './runConfig.js';

/** An order the storefront sends, and how it must end. */
export interface PlannedOrder {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly amount: number;
  /** Whether the order must end confirmed or cancelled, and why. */
  readonly expect: 'confirmed' | 'cancelled';
  readonly why: string;
}

/** How an order ended, across the three services' schemas. */
export interface OrderOutcome {
  readonly orderId: string;
  readonly status: string;
  readonly reason: string | null;
  /** The reservation's status in inventory, if any. */
  readonly reservation: string | null;
  /** The payment's status in payments, if any. */
  readonly payment: string | null;
}

/** What {@link verifyRun} found: the figures, and every broken invariant (none, we hope). */
export interface RunVerdict {
  readonly outcomes: readonly OrderOutcome[];
  /** Per service: how many messages it applied (each exactly once when no violation). */
  readonly applied: Readonly<Record<ServiceName, number>>;
  /** Messages published through the three outboxes. */
  readonly published: number;
  /** Events JetStream gave up on (dead-lettered); a violation when above 0. */
  readonly deadLetters: number;
  readonly violations: readonly string[];
}

/** Reads every order's outcome, joining the three schemas (only the checker may do that). */
export async function readOutcomes(client: SqlExecutor, config: RunConfig): Promise<OrderOutcome[]> {
  const orders = sqlSchema(config.schemas.orders).table('orders');
  const reservations = sqlSchema(config.schemas.inventory).table('reservations');
  const payments = sqlSchema(config.schemas.payments).table('payments');
  const { rows } = await client.query<OrderOutcome & { order_id: string }>(
    `SELECT o.order_id, o.status, o.reason, r.status AS reservation, p.status AS payment
     FROM ${orders} o
     LEFT JOIN ${reservations} r ON r.order_id = o.order_id
     LEFT JOIN ${payments} p ON p.order_id = o.order_id
     ORDER BY o.order_id`,
  );
  return rows.map((row) => ({
    orderId: row.order_id,
    status: row.status,
    reason: row.reason,
    reservation: row.reservation,
    payment: row.payment,
  }));
}

/** Why `outcome` breaks its plan, or undefined when it ended as it must. */
function orderProblem(planned: PlannedOrder, outcome: OrderOutcome | undefined): string | undefined {
  if (outcome === undefined) return `${planned.orderId} was lost: orders never recorded it`;
  if (outcome.status !== planned.expect)
    return `${planned.orderId} is ${outcome.status}, expected ${planned.expect}`;
  if (
    outcome.status === 'confirmed' &&
    (outcome.reservation !== 'reserved' || outcome.payment !== 'captured')
  ) {
    return `${planned.orderId} is confirmed with reservation ${outcome.reservation} and payment ${outcome.payment}`;
  }
  if (
    outcome.status === 'cancelled' &&
    (outcome.reservation === 'reserved' || outcome.payment === 'captured')
  ) {
    return `${planned.orderId} is cancelled but still has reservation ${outcome.reservation}, payment ${outcome.payment}`;
  }
  return undefined;
}

/** Stock must equal the initial stock minus what confirmed orders hold: a double take or release shows. */
async function stockProblems(client: SqlExecutor, config: RunConfig): Promise<string[]> {
  const schema = sqlSchema(config.schemas.inventory);
  const { rows } = await client.query<{ sku: string; initial: number; available: number; held: number }>(
    `SELECT s.sku, s.initial, s.available,
            coalesce((SELECT sum(r.quantity) FROM ${schema.table('reservations')} r
                      WHERE r.sku = s.sku AND r.status = 'reserved'), 0)::int AS held
     FROM ${schema.table('stock')} s ORDER BY s.sku`,
  );
  return rows
    .filter((row) => row.available + row.held !== row.initial)
    .map(
      (row) =>
        `stock of ${row.sku}: ${row.available} available + ${row.held} reserved ≠ ${row.initial} at the start`,
    );
}

/** Message ids a consumer applied more than once (the journal has no unique key, the inbox has). */
async function appliedTwice(client: SqlExecutor, schemaName: string): Promise<string[]> {
  const { rows } = await client.query<{ message_id: string; times: number }>(
    `SELECT message_id, count(*)::int AS times FROM ${sqlSchema(schemaName).table('applied_messages')}
     GROUP BY message_id HAVING count(*) > 1`,
  );
  return rows.map((row) => `${schemaName}: message ${row.message_id} applied ${row.times} times`);
}

/** The ids of messages of `types` that the services' outboxes published. */
async function publishedIds(
  client: SqlExecutor,
  config: RunConfig,
  types: readonly EventType[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const service of SERVICE_NAMES) {
    const { rows } = await client.query<{ message_id: string }>(
      `SELECT message_id FROM ${sqlSchema(config.schemas[service]).table('outbox')} WHERE message_type = ANY($1::text[])`,
      [types],
    );
    ids.push(...rows.map((row) => row.message_id));
  }
  return ids;
}

/** Every message sent to `service` must be in its inbox and applied once: nothing lost. */
async function lostMessages(
  client: SqlExecutor,
  config: RunConfig,
  service: ServiceName,
  storefrontIds: readonly string[],
): Promise<{ problems: string[]; applied: number }> {
  const schema = sqlSchema(config.schemas[service]);
  const types: readonly EventType[] = CONSUMES[service];
  const expected = [
    ...(types.includes('OrderRequested') ? storefrontIds : []),
    ...(await publishedIds(client, config, types)),
  ];
  const inbox = await client.query<{ message_id: string }>(
    `SELECT message_id FROM ${schema.table('inbox')} WHERE consumer = $1`,
    [service],
  );
  const journal = await client.query<{ message_id: string }>(
    `SELECT DISTINCT message_id FROM ${schema.table('applied_messages')}`,
  );
  const inInbox = new Set(inbox.rows.map((row) => row.message_id));
  const inJournal = new Set(journal.rows.map((row) => row.message_id));
  const problems = expected
    .filter((id) => !inInbox.has(id) || !inJournal.has(id))
    .map((id) => `${service} never applied message ${id}`);
  if (inInbox.size !== inJournal.size) {
    problems.push(`${service}: ${inInbox.size} messages in the inbox but ${inJournal.size} in the journal`);
  }
  return { problems, applied: inJournal.size };
}

/**
 * Checks the run's invariants from the databases alone: every planned order ended as planned
 * (confirmed with its stock and payment, or cancelled with its stock released and no money
 * taken), stock adds up, every message sent to a service was applied by it exactly once, and
 * every outbox is fully published (none given up on), and no event was dead-lettered.
 */
export async function verifyRun(
  client: SqlExecutor,
  config: RunConfig,
  plan: readonly PlannedOrder[],
  storefrontIds: readonly string[],
  deadLetters: number,
): Promise<RunVerdict> {
  const outcomes = await readOutcomes(client, config);
  const violations: string[] = [];
  for (const planned of plan) {
    const problem = orderProblem(
      planned,
      outcomes.find((outcome) => outcome.orderId === planned.orderId),
    );
    if (problem !== undefined) violations.push(problem);
  }
  violations.push(...(await stockProblems(client, config)));
  const applied = { orders: 0, inventory: 0, payments: 0 };
  let published = 0;
  for (const service of SERVICE_NAMES) {
    violations.push(...(await appliedTwice(client, config.schemas[service])));
    const lost = await lostMessages(client, config, service, storefrontIds);
    violations.push(...lost.problems);
    applied[service] = lost.applied;
    const stats = await new PostgresOutbox(client, { schema: config.schemas[service] }).stats();
    published += stats.dispatched;
    if (stats.pending + stats.failed > 0) {
      violations.push(
        `${service}'s outbox still has ${stats.pending} pending and ${stats.failed} failed messages`,
      );
    }
  }
  if (deadLetters > 0) violations.push(`${deadLetters} events were dead-lettered instead of applied`);
  return { outcomes, applied, published, deadLetters, violations };
}
