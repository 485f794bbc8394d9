import { createEvent } from '@keel/core';
import { createEventBus } from '@keel/cqrs';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import type { InboxContext } from './postgresInbox.js';
import { sqlSchema } from '../client/identifiers.js';
import { PostgresInbox } from './postgresInbox.js';

type Fresh = () => Promise<{ client: SqlClient; schema: string }>;

function setupWith(fresh: Fresh) {
  return async () => {
    const { client, schema } = await fresh();
    const invoices = sqlSchema(schema).table('invoices');
    await client.query(`CREATE TABLE ${invoices} (order_id text NOT NULL)`);
    const count = async () => (await client.query(`SELECT order_id FROM ${invoices}`)).rows.length;
    return { client, schema, invoices, count, inbox: new PostgresInbox(client, 'billing', { schema }) };
  };
}
type Setup = ReturnType<typeof setupWith>;
const placed = () => createEvent('OrderPlaced', { orderId: 'o-1' });

function defineDeliveryTests(setup: Setup): void {
  it('runs the handler for the first delivery and skips every redelivery', async () => {
    const { inbox, invoices, count } = await setup();
    const event = placed();
    const handler = async (_: unknown, { tx }: InboxContext) => {
      await tx.query(`INSERT INTO ${invoices} VALUES ('o-1')`);
      return 'invoiced';
    };
    expect(await inbox.handle(event, handler)).toEqual({ status: 'processed', result: 'invoiced' });
    expect(await inbox.handle(event, handler)).toEqual({ status: 'duplicate' });
    expect(await count()).toBe(1);
    expect(await inbox.has(event.metadata.messageId)).toBe(true);
  });

  it('records nothing when the handler fails, so the next delivery runs it again', async () => {
    const { inbox, invoices, count } = await setup();
    const event = placed();
    let attempts = 0;
    const handler = async (_: unknown, { tx }: InboxContext) => {
      await tx.query(`INSERT INTO ${invoices} VALUES ('o-1')`);
      if (++attempts === 1) throw new Error('payment service down');
    };
    await expect(inbox.handle(event, handler)).rejects.toThrow('payment service down');
    expect(await inbox.has(event.metadata.messageId)).toBe(false);
    expect(await count()).toBe(0);
    expect((await inbox.handle(event, handler)).status).toBe('processed');
    expect(await count()).toBe(1);
  });

  it('runs the handler once when one message is delivered several times at once', async () => {
    const { inbox, invoices, count } = await setup();
    const event = placed();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        inbox.handle(event, async (_, { tx }) => {
          await tx.query(`INSERT INTO ${invoices} VALUES ('o-1')`);
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'processed')).toHaveLength(1);
    expect(await count()).toBe(1);
  });
}

function defineUsageTests(setup: Setup): void {
  it('keeps consumers apart: each processes a message once', async () => {
    const { client, schema, inbox } = await setup();
    const shipping = new PostgresInbox(client, 'shipping', { schema });
    const event = placed();
    expect((await inbox.handle(event, async () => 1)).status).toBe('processed');
    expect((await shipping.handle(event, async () => 1)).status).toBe('processed');
    expect((await shipping.handle(event, async () => 1)).status).toBe('duplicate');
  });

  it('wraps an event-bus handler so a republished event has no second effect', async () => {
    const { inbox, invoices, count } = await setup();
    const bus = createEventBus();
    bus.subscribe(
      'OrderPlaced',
      inbox.wrap(async (event, { tx }) => {
        await tx.query(`INSERT INTO ${invoices} VALUES ($1)`, [(event.data as { orderId: string }).orderId]);
      }),
    );
    const event = placed();
    await bus.publish([event]);
    await bus.publish([event]);
    expect(await count()).toBe(1);
  });

  it('purges the ids this consumer processed before the given age', async () => {
    const { inbox } = await setup();
    await inbox.handle(placed(), async () => undefined);
    expect(await inbox.purge(0)).toBe(1);
  });
}

/**
 * Test helper: the guarantees of {@link PostgresInbox}, run against PGlite (unit tests) and
 * PostgreSQL (integration tests).
 */
export function inboxBehaviour(
  name: string,
  fresh: () => Promise<{ client: SqlClient; schema: string }>,
): void {
  const setup = setupWith(fresh);
  describe(`PostgresInbox: ${name}`, () => {
    defineDeliveryTests(setup);
    defineUsageTests(setup);
  });
}
