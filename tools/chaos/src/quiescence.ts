import { raceAbort, systemClock } from '@keel/core';
import { PostgresOutbox, sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { ChaosConfig } from './config.js';
import type { DriverLedger } from './driver.js';
import { LIVE_PROJECTIONS } from './projections.js';

/** Why the run is not at rest yet, or `undefined` when it is. */
export async function outstandingWork(
  client: SqlExecutor,
  jsm: JetStreamManager,
  config: ChaosConfig,
  ledger: DriverLedger,
): Promise<string | undefined> {
  const table = sqlSchema(config.schema);
  const { rows } = await client.query<{ unfinished: number; applied: number; head: number }>(
    `SELECT (SELECT count(*)::int FROM ${table.table('sagas')} WHERE status IN ('running', 'compensating')) AS unfinished,
            (SELECT count(DISTINCT message_id)::int FROM ${table.table('applied')}) AS applied,
            (SELECT coalesce(max(global_position), 0)::int FROM ${table.table('events')}) AS head`,
  );
  const { unfinished, applied, head } = rows[0]!;
  if (unfinished > 0) return `${unfinished} saga(s) unfinished`;
  const { pending } = await new PostgresOutbox(client, { schema: config.schema }).stats();
  if (pending > 0) return `${pending} outbox message(s) not dispatched`;
  if (applied < ledger.appends.length) return `${applied} of ${ledger.appends.length} messages applied`;
  const { rows: checkpoints } = await client.query<{ name: string; position: number }>(
    `SELECT name, position::int FROM ${table.table('checkpoints')} WHERE name = ANY($1::text[])`,
    [Object.values(LIVE_PROJECTIONS).map((projection) => projection.name)],
  );
  const behind = Object.values(LIVE_PROJECTIONS).filter(
    ({ name }) => (checkpoints.find((row) => row.name === name)?.position ?? 0) < head,
  );
  if (behind.length > 0) return `projection(s) ${behind.map((p) => p.name).join(', ')} behind head ${head}`;
  const info = await jsm.consumers.info(config.stream, config.durableName);
  if (info.num_pending > 0 || info.num_ack_pending > 0)
    return `consumer has ${info.num_pending} pending and ${info.num_ack_pending} unacknowledged message(s)`;
  return undefined;
}

/**
 * Polls {@link outstandingWork} every 500 ms until the run is at rest.
 * @returns `undefined` once at rest, or what was still outstanding when `timeoutMs` ran out.
 */
export async function waitForQuiescence(
  check: () => Promise<string | undefined>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const until = systemClock.now() + timeoutMs;
  let outstanding: string | undefined = 'not checked yet';
  while (systemClock.now() < until) {
    outstanding = await raceAbort(check(), signal).catch((error: unknown) =>
      error instanceof Error ? `check failed: ${error.message}` : String(error),
    );
    if (outstanding === undefined) return undefined;
    await systemClock.sleep(500, signal);
  }
  return outstanding;
}
