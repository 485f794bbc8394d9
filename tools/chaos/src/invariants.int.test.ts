import { createEvent, newId } from '@keel/core';
import { ProjectionRunner } from '@keel/eventsourcing';
import {
  createPostgres,
  KEEL_MIGRATIONS,
  migrate,
  PostgresCheckpointStore,
  PostgresEventStore,
  PostgresOutbox,
  PostgresProjectionCheckpoints,
  quoteIdentifier,
  sqlSchema,
} from '@keel/postgres';
import { PostgresSagaStore } from '@keel/postgres/saga';
import type { SqlClient } from '@keel/postgres';
import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverLedger } from './driver.js';
import { checkAudits, checkLog, checkProjections } from './logInvariants.js';
import { checkMessages } from './messageInvariants.js';
import { chaosProjections } from './projections.js';
import { checkSagas } from './sagaInvariants.js';
import { requestedSaga } from './sagas.js';
import { CHAOS_MIGRATIONS } from './schema.js';

const pgUp = await serviceAvailable('postgres');

function emptyLedger(): DriverLedger {
  return { appends: [], sagas: [], uncertainAppends: [], uncertainSagas: [], errors: [] };
}

// The checks must see a broken invariant: each test breaks one on purpose, by hand.
describe.runIf(pgUp)('the chaos invariant checks on a schema broken by hand', () => {
  let client: SqlClient;
  const schemas: string[] = [];
  beforeAll(async () => {
    client = await createPostgres({ url: serviceUrl('postgres'), maxConnections: 2 });
  });
  afterAll(async () => {
    for (const schema of schemas)
      await client.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await client.close();
  });

  async function fresh(): Promise<{ schema: string; table: (name: string) => string }> {
    const schema = uniqueName('chaos_t');
    schemas.push(schema);
    await migrate(client, { schema, migrations: [...KEEL_MIGRATIONS, ...CHAOS_MIGRATIONS] });
    return { schema, table: (name) => sqlSchema(schema).table(name) };
  }

  async function effect(table: (name: string) => string, key: string, kind = 'run'): Promise<void> {
    await client.query(
      `INSERT INTO ${table('effect_log')} (idempotency_key, saga_id, step, kind, pid) VALUES ($1, $2, 'x', $3, 1)`,
      [key, key.split('/')[0], kind],
    );
  }

  it('reports a saga step effect applied twice and a step effect missing', async () => {
    const { schema, table } = await fresh();
    const sagaId = newId();
    await new PostgresSagaStore(client, { schema }).create(
      requestedSaga(sagaId, 'transfer', { failAt: null, delayMs: 0 }, 1),
    );
    await client.query(`UPDATE ${table('sagas')} SET status = 'completed'`);
    await effect(table, `${sagaId}/debit`);
    await effect(table, `${sagaId}/debit`);
    await effect(table, `${sagaId}/credit`);
    const ledger = { ...emptyLedger(), sagas: [{ sagaId, sagaName: 'transfer' as const, failAt: null }] };
    const { violations } = await checkSagas(client, schema, ledger);
    expect(violations).toEqual(
      expect.arrayContaining([
        `effect ${sagaId}/debit applied 2 time(s)`,
        `effect ${sagaId}/notify applied 0 time(s)`,
        `effect ${sagaId}/debit applied 2 times`,
      ]),
    );
  });

  it('reports a saga left compensating and a compensation told of a step that applied nothing', async () => {
    const { schema, table } = await fresh();
    const sagaId = newId();
    await new PostgresSagaStore(client, { schema }).create(
      requestedSaga(sagaId, 'booking', { failAt: 1, delayMs: 0 }, 1),
    );
    await client.query(`UPDATE ${table('sagas')} SET status = 'compensating'`);
    await client.query(
      `INSERT INTO ${table('step_calls')} (idempotency_key, saga_id, step, kind, attempt, claimed_outcome, pid)
       VALUES ($1, $2, 'reserve', 'compensate', 1, 'completed', 1)`,
      [`${sagaId}/reserve/compensate`, sagaId],
    );
    const ledger = { ...emptyLedger(), sagas: [{ sagaId, sagaName: 'booking' as const, failAt: 1 }] };
    const { violations } = await checkSagas(client, schema, ledger);
    expect(violations).toEqual(
      expect.arrayContaining([
        `saga booking ${sagaId} (planned to fail at step 1) is compensating, not compensated`,
        `compensation ${sagaId}/reserve/compensate was told its step completed, but the step applied no effect`,
      ]),
    );
  });

  it('reports a step of unknown outcome (timed out) that applied its effect but was not compensated', async () => {
    const { schema, table } = await fresh();
    const sagaId = newId();
    await new PostgresSagaStore(client, { schema }).create(
      requestedSaga(sagaId, 'booking', { failAt: null, delayMs: 0 }, 1),
    );
    const failed = {
      type: 'stepFailed',
      at: 2,
      step: 'charge',
      error: { name: 'TimeoutError', message: 't' },
      outcomeUnknown: true,
    };
    await client.query(
      `UPDATE ${table('sagas')} SET status = 'compensated', history = history || $1::jsonb`,
      [JSON.stringify([failed])],
    );
    await effect(table, `${sagaId}/reserve`);
    await effect(table, `${sagaId}/reserve/compensate`, 'compensate');
    await effect(table, `${sagaId}/charge`);
    const ledger = { ...emptyLedger(), sagas: [{ sagaId, sagaName: 'booking' as const, failAt: null }] };
    const { violations } = await checkSagas(client, schema, ledger);
    expect(violations).toEqual([`effect ${sagaId}/charge/compensate applied 0 time(s) (its step 1)`]);
  });

  it('reports an outbox message applied twice through the inbox and one never delivered', async () => {
    const { schema, table } = await fresh();
    const [twice, lost] = [createEvent('AccountChanged', {}), createEvent('AccountChanged', {})];
    await new PostgresOutbox(client, { schema }).enqueue(client, [twice, lost]);
    await client.query(`UPDATE ${table('outbox')} SET dispatched_at = 1`);
    const id = twice.metadata.messageId;
    await client.query(
      `INSERT INTO ${table('deliveries')} (message_id, delivery_count, pid) VALUES ($1, 1, 1)`,
      [id],
    );
    for (let i = 0; i < 2; i++)
      await client.query(
        `INSERT INTO ${table('applied')} (message_id, message_type, pid) VALUES ($1, 'x', 1)`,
        [id],
      );
    const appends = [twice, lost].map((message) => ({
      stream: 's',
      eventIds: [],
      messageId: message.metadata.messageId,
    }));
    const { violations } = await checkMessages(client, schema, { ...emptyLedger(), appends });
    expect(violations).toEqual([
      `outbox message ${id} applied 2 time(s) through the inbox, expected 1`,
      `outbox message ${lost.metadata.messageId} was never delivered`,
      `outbox message ${lost.metadata.messageId} applied 0 time(s) through the inbox, expected 1`,
    ]);
  });

  it('reports an acknowledged event missing from the log and one nobody appended', async () => {
    const { schema } = await fresh();
    const stranger = newId();
    await new PostgresEventStore(client, { schema }).appendToStream('acct-1', [
      { type: 'Deposited', data: { amount: 1 }, eventId: stranger },
    ]);
    const missing = newId();
    const ledger = { ...emptyLedger(), appends: [{ stream: 'acct-2', eventIds: [missing], messageId: 'm' }] };
    expect(await checkLog(client, schema, ledger)).toEqual([
      `event ${missing} (acknowledged, acct-2) is in the log 0 time(s)`,
      `event ${stranger} is in the log but the driver never appended it`,
    ]);
  });

  it('accepts a read model built by the projection and reports one that drifted from a rebuild', async () => {
    const { schema, table } = await fresh();
    const store = new PostgresEventStore(client, { schema });
    await store.appendToStream('acct-1', [{ type: 'Deposited', data: { amount: 5 } }]);
    const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
    for (const projection of chaosProjections(schema))
      await new ProjectionRunner(store, projection, { checkpoints }).catchUp();
    expect(await checkProjections(client, schema)).toEqual([]);
    await client.query(`UPDATE ${table('rm_streams')} SET events = events + 1`);
    const violations = await checkProjections(client, schema);
    expect(violations).toHaveLength(2);
    expect(violations[0]).toContain('projection chaos-streams: live row');
  });

  it('reports a checkpoint that moved backwards, from the audit trigger', async () => {
    const { schema, table } = await fresh();
    await new PostgresCheckpointStore(client, { schema }).save('chaos-streams', 7);
    await client.query(`UPDATE ${table('checkpoints')} SET position = 3`);
    const { violations } = await checkAudits(client, schema);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^checkpoint chaos-streams moved backwards: 7 → 3 \(audit #\d+\)$/);
  });
});
