import { sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';
import type { DriverLedger } from './driver.js';
import type { Checked } from './sagaInvariants.js';

/** What the message checks counted, for the report. */
export interface MessageFigures {
  /** Outbox messages the driver had acknowledged. */
  readonly messages: number;
  /** Deliveries to a consumer (a message delivered again after a crash counts again). */
  readonly deliveries: number;
  /**
   * Deliveries beyond the one that applied each message: redelivered after a worker died before
   * its ack, or stopped by the inbox as a duplicate.
   */
  readonly redeliveries: number;
}

async function countsBy(client: SqlExecutor, table: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ id: string; n: number }>(
    `SELECT message_id AS id, count(*)::int AS n FROM ${table} GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.id, row.n]));
}

/**
 * Every acknowledged outbox message was dispatched by a relay, delivered at least once over NATS
 * and applied exactly once through the inbox; nothing was applied that the driver never sent.
 */
export async function checkMessages(
  client: SqlExecutor,
  schema: string,
  ledger: DriverLedger,
): Promise<Checked<MessageFigures>> {
  const table = sqlSchema(schema);
  const delivered = await countsBy(client, table.table('deliveries'));
  const applied = await countsBy(client, table.table('applied'));
  const { rows } = await client.query<{ id: string; dispatched: boolean; failed: boolean }>(
    `SELECT message_id AS id, dispatched_at IS NOT NULL AS dispatched, failed_at IS NOT NULL AS failed
     FROM ${table.table('outbox')}`,
  );
  const outbox = new Map(rows.map((row) => [row.id, row]));
  const violations: string[] = [];
  for (const { messageId } of ledger.appends) {
    const row = outbox.get(messageId);
    if (row === undefined)
      violations.push(`outbox message ${messageId} was acknowledged but is not in the outbox`);
    else if (!row.dispatched)
      violations.push(
        `outbox message ${messageId} was never dispatched${row.failed ? ' (marked failed)' : ''}`,
      );
    if ((delivered.get(messageId) ?? 0) === 0)
      violations.push(`outbox message ${messageId} was never delivered`);
    const times = applied.get(messageId) ?? 0;
    if (times !== 1)
      violations.push(`outbox message ${messageId} applied ${times} time(s) through the inbox, expected 1`);
  }
  const known = new Set([...ledger.appends, ...ledger.uncertainAppends].map((append) => append.messageId));
  for (const [id, times] of applied) {
    if (!known.has(id)) violations.push(`message ${id} was applied but the driver never sent it`);
    else if (times > 1 && !ledger.appends.some((append) => append.messageId === id))
      violations.push(`message ${id} (outcome unknown to the driver) applied ${times} times`);
  }
  const deliveries = [...delivered.values()].reduce((sum, n) => sum + n, 0);
  const appliedTotal = [...applied.values()].reduce((sum, n) => sum + n, 0);
  return {
    violations,
    figures: { messages: ledger.appends.length, deliveries, redeliveries: deliveries - appliedTotal },
  };
}
