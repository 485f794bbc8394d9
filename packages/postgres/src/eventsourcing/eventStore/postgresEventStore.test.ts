import { collect } from '@keel/eventsourcing';
import { eventStoreContract } from '@keel/eventsourcing/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidationError } from '@keel/core';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

eventStoreContract(
  'PostgresEventStore on PGlite',
  async () => new PostgresEventStore(client, { schema: await freshSchema(client) }),
);
eventStoreContract(
  'PostgresEventStore on PGlite with a page size of 1',
  async () => new PostgresEventStore(client, { schema: await freshSchema(client), pageSize: 1 }),
);

describe('PostgresEventStore', () => {
  it.each([
    { pageSize: 0 },
    { pageSize: 1.5 },
    { readPageSize: 0 },
    { pollIntervalMs: 0 },
    { pollIntervalMs: Number.NaN },
    { notify: 'yes' as unknown as boolean },
    { inlineProjections: [{}] as never },
  ])('rejects the out-of-range option %o with a ValidationError', (options) => {
    let caught: unknown;
    try {
      new PostgresEventStore(client, options);
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
  });

  it('keeps the default of every option set to undefined', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresEventStore(client, {
      schema,
      pageSize: undefined,
      readPageSize: undefined,
      pollIntervalMs: undefined,
      notify: undefined,
      clock: undefined,
      inlineProjections: undefined,
    });
    await store.appendToStream('s-1', [{ type: 'A', data: {} }]);
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['A']);
  });

  it('appends inside a caller transaction that commits or rolls back with it', async () => {
    const schema = await freshSchema(client);
    await client
      .transaction(async (tx) => {
        await new PostgresEventStore(tx, { schema }).appendToStream('s-1', [{ type: 'Lost', data: {} }]);
        throw new Error('business change failed');
      })
      .catch(() => undefined);
    await client.transaction(async (tx) => {
      await new PostgresEventStore(tx, { schema }).appendToStream('s-1', [{ type: 'Kept', data: {} }]);
    });
    const events = await collect(new PostgresEventStore(client, { schema }).readAll());
    expect(events.map((event) => event.type)).toEqual(['Kept']);
  });

  it('uses core metadata.messageId as the event id', async () => {
    const store = new PostgresEventStore(client, { schema: await freshSchema(client) });
    const messageId = '0190a8a0-0000-7000-8000-0000000000c1';
    await store.appendToStream('s-1', [{ type: 'Created', data: {}, metadata: { messageId } }]);
    const [event] = await collect(store.readStream('s-1'));
    expect(event?.eventId).toBe(messageId);
  });
});
