import {
  createEvent,
  eventPublisher,
  isSerializationError,
  isValidationError,
  ManualClock,
} from '@keel/core';
import type { Message, ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { sqlSchema } from '../client/identifiers.js';
import { PostgresInbox } from './postgresInbox.js';
import { PostgresOutbox } from './postgresOutbox.js';

type Fresh = () => Promise<{ client: SqlClient; schema: string }>;

function setupWith(fresh: Fresh) {
  return async () => {
    const { client, schema } = await fresh();
    const clock = new ManualClock(1_000_000);
    const published: Message[] = [];
    const publisher = eventPublisher(async (batch: readonly Message[]) => void published.push(...batch));
    const rows = async () =>
      (
        await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${sqlSchema(schema).table('outbox')}`,
        )
      ).rows[0]!.n;
    return {
      client,
      schema,
      clock,
      published,
      publisher,
      rows,
      outbox: new PostgresOutbox(client, { schema, clock }),
    };
  };
}
type Setup = ReturnType<typeof setupWith>;

const happened = (data: unknown, type = 'Happened') => createEvent(type, data);

/** Messages PostgreSQL cannot hold, each in a different place. */
function unstorable(): Message[] {
  const nulInId = happened({});
  return [
    happened({ note: 'nul\u0000inside' }),
    happened({ note: 'lone \uD800 surrogate' }),
    happened({ amount: 10n }),
    happened({ lookup: new Map([['a', 1]]) }),
    happened({ ratio: Number.POSITIVE_INFINITY }),
    happened({}, 'Bad\u0000Type'),
    { ...nulInId, metadata: { ...nulInId.metadata, messageId: 'id\u0000' } },
  ];
}

function defineSerializationTests(setup: Setup): void {
  it('refuses a message PostgreSQL cannot hold with a SerializationError and writes nothing of the batch', async () => {
    const { client, outbox, rows } = await setup();
    for (const bad of unstorable()) {
      const error = await outbox.enqueue(client, [happened({ ok: 1 }), bad]).catch((e: unknown) => e);
      expect(isSerializationError(error)).toBe(true);
    }
    expect(await rows()).toBe(0);
  });

  it('leaves the caller’s transaction usable and untouched when a message is refused', async () => {
    const { client, outbox, rows } = await setup();
    await client.transaction(async (tx) => {
      const error = await outbox
        .enqueue(tx, [happened({ ok: 1 }), happened({ n: 1n })])
        .catch((e: unknown) => e);
      expect(isSerializationError(error)).toBe(true);
      await outbox.enqueue(tx, [happened({ ok: 2 })]);
    });
    expect(await rows()).toBe(1);
  });

  it('refuses a large batch whose last message cannot be stored before writing any chunk', async () => {
    const { client, outbox, rows } = await setup();
    const batch = [...Array.from({ length: 1_500 }, (_, n) => happened({ n })), happened({ bad: '\u0000' })];
    await expect(outbox.enqueue(client, batch)).rejects.toSatisfy(isSerializationError);
    expect(await rows()).toBe(0);
  });

  it('refuses a message without a type or id with a ValidationError naming it, before writing', async () => {
    const { client, outbox, rows } = await setup();
    const good = happened({});
    const error = await outbox
      .enqueue(client, [good, { ...good, type: '' }, { type: 'X', data: {} } as unknown as Message])
      .catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([[1], [2]]);
    expect(await rows()).toBe(0);
  });

  it('publishes a message as JSON keeps it: a Date in the data arrives as its ISO string', async () => {
    const { client, outbox, publisher, published } = await setup();
    await outbox.enqueue(client, [happened({ at: new Date(0), skipped: undefined })]);
    await outbox.createRelay(publisher).dispatchOnce();
    expect(published[0]!.data).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('records a publish error whose text PostgreSQL cannot hold, and retries the message', async () => {
    const { client, schema, outbox, clock } = await setup();
    let attempts = 0;
    const flaky = eventPublisher(async () => {
      if (++attempts === 1) throw new Error('broker said \u0000 and \uDC00');
    });
    await outbox.enqueue(client, [happened({})]);
    const relay = outbox.createRelay(flaky, { baseDelayMs: 100 });
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 1, retried: 1 });
    const { rows } = await client.query<{ last_error: string }>(
      `SELECT last_error FROM ${sqlSchema(schema).table('outbox')}`,
    );
    expect(rows[0]!.last_error).toBe('Error: broker said \uFFFD and \uFFFD');
    clock.advance(100);
    expect(await relay.dispatchOnce()).toMatchObject({ published: 1 });
  });

  it('refuses to record an inbox message whose id PostgreSQL cannot hold, running nothing', async () => {
    const { client, schema } = await setup();
    const inbox = new PostgresInbox(client, 'billing', { schema });
    const event = happened({});
    const bad = { ...event, metadata: { ...event.metadata, messageId: 'x\u0000' } };
    let ran = false;
    const error = await inbox.handle(bad, async () => void (ran = true)).catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect(ran).toBe(false);
    expect(await inbox.handle(happened({ big: 1n }), async () => 'data is not stored')).toMatchObject({
      status: 'processed',
    });
  });
}

function defineOptionTests(setup: Setup): void {
  it('keeps the enqueue defaults for options given as undefined: topic default, no delay', async () => {
    const { client, outbox, publisher, published } = await setup();
    await outbox.enqueue(client, [happened({})], { topic: undefined, delayMs: undefined, signal: undefined });
    expect((await outbox.createRelay(publisher, { topic: undefined }).dispatchOnce()).published).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('refuses bad enqueue options with one ValidationError before writing', async () => {
    const { client, outbox, rows } = await setup();
    const error = await outbox
      .enqueue(client, [happened({})], { topic: 'a\u0000b', delayMs: -1 })
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'topic',
      'delayMs',
    ]);
    expect(await rows()).toBe(0);
    await expect(outbox.purgeDispatched(Number.NaN)).rejects.toSatisfy(isValidationError);
  });

  it('refuses fractional and huge millisecond options with a ValidationError before any query', async () => {
    const { client, outbox, publisher, rows } = await setup();
    for (const delayMs of [0.5, 1e300]) {
      const error = await outbox.enqueue(client, [happened({})], { delayMs }).catch((e: unknown) => e);
      expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual(['delayMs']);
    }
    expect(await rows()).toBe(0);
    const bad = [
      { leaseMs: 0.5 },
      { leaseMs: 1_500.5 },
      { leaseMs: 1e300 },
      { pollIntervalMs: 0.5 },
      { baseDelayMs: 1.5 },
      { maxDelayMs: 1e300 },
    ];
    for (const options of bad) {
      const error = (() => {
        try {
          outbox.createRelay(publisher, options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual(
        Object.keys(options),
      );
    }
    await expect(outbox.purgeDispatched(0.5)).rejects.toSatisfy(isValidationError);
    await expect(outbox.purgeDispatched(1e300)).rejects.toSatisfy(isValidationError);
  });

  it('writes whole-ms times when the clock reads a fraction: a failed message is freed with its attempt', async () => {
    const { client, schema, outbox, clock } = await setup();
    let calls = 0;
    const failing = eventPublisher(async () => {
      if (++calls === 1) throw new Error('down');
    });
    clock.advance(0.5);
    await outbox.enqueue(client, [happened({})]);
    const relay = outbox.createRelay(failing, { baseDelayMs: 3 });
    expect(await relay.dispatchOnce()).toEqual({ claimed: 1, published: 0, retried: 1, failed: 0 });
    const { rows: stored } = await client.query<{ attempts: number; locked_by: string | null }>(
      `SELECT attempts, locked_by FROM ${sqlSchema(schema).table('outbox')}`,
    );
    expect(stored).toEqual([{ attempts: 1, locked_by: null }]);
    clock.advance(3);
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 1, published: 1 });
  });

  it('gives a relay the outbox clock when its clock option is undefined', async () => {
    const { client, outbox, publisher, published, clock } = await setup();
    await outbox.enqueue(client, [happened({})], { delayMs: 1_000 });
    const relay = outbox.createRelay(publisher, { clock: undefined });
    expect((await relay.dispatchOnce()).claimed).toBe(0);
    clock.advance(1_000);
    expect((await relay.dispatchOnce()).published).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('keeps every relay default for options given as undefined', async () => {
    const { client, outbox, publisher, published } = await setup();
    await outbox.enqueue(
      client,
      Array.from({ length: 3 }, () => happened({})),
    );
    const relay = outbox.createRelay(publisher, {
      topic: undefined,
      relayId: undefined,
      batchSize: undefined,
      pollIntervalMs: undefined,
      leaseMs: undefined,
      baseDelayMs: undefined,
      maxDelayMs: undefined,
      maxAttempts: undefined,
      logger: undefined,
    });
    expect(relay.relayId.length).toBeGreaterThan(0);
    expect(await relay.dispatchOnce()).toEqual({ claimed: 3, published: 3, retried: 0, failed: 0 });
    expect(published).toHaveLength(3);
  });
}

/**
 * Test helper: the edges of {@link PostgresOutbox} and {@link PostgresInbox} (values PostgreSQL
 * cannot hold, options given as undefined), on PGlite and PostgreSQL.
 */
export function outboxEdgesBehaviour(name: string, fresh: Fresh): void {
  const setup = setupWith(fresh);
  describe(`PostgresOutbox edges: ${name}`, () => {
    describe('values', () => defineSerializationTests(setup));
    describe('options', () => defineOptionTests(setup));
  });
}
