import { createEvent, eventPublisher, isValidationError, ManualClock } from '@keel/core';
import type { Message, PublishOptions, ValidationError } from '@keel/core';
import { describe, expect, it, vi } from 'vitest';
import type { SqlClient, SqlExecutor } from '../client/sqlClient.js';
import { sqlSchema } from '../client/identifiers.js';
import { PostgresInbox } from './postgresInbox.js';
import { PostgresOutbox } from './postgresOutbox.js';

/** A client whose statements that mark messages dispatched fail: the relay "dies" after publishing. */
function crashingBeforeMark(client: SqlClient): SqlExecutor {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return async (sql: string, params?: readonly unknown[]) => {
        if (sql.includes('SET dispatched_at')) throw new Error('process died before marking');
        return target.query(sql, params);
      };
    },
  });
}

const events = (count: number, prefix = 'e'): Message[] =>
  Array.from({ length: count }, (_, index) => createEvent('Happened', { n: index, prefix }));

type Fresh = () => Promise<{ client: SqlClient; schema: string }>;
type Setup = ReturnType<typeof setupWith>;

function setupWith(fresh: Fresh) {
  return async () => {
    const { client, schema } = await fresh();
    const clock = new ManualClock(1_000_000);
    const published: Message[] = [];
    const publisher = eventPublisher(async (batch: readonly Message[]) => void published.push(...batch));
    return {
      client,
      schema,
      clock,
      published,
      publisher,
      outbox: new PostgresOutbox(client, { schema, clock }),
    };
  };
}

function defineWriteTests(setup: Setup): void {
  it('stores messages only when the business transaction commits', async () => {
    const { client, outbox, publisher, published } = await setup();
    await client
      .transaction(async (tx) => {
        await outbox.enqueue(tx, events(2, 'rolled-back'));
        throw new Error('business rule broken');
      })
      .catch(() => undefined);
    await client.transaction((tx) => outbox.enqueue(tx, events(1, 'committed')));
    expect(await outbox.stats()).toEqual({ pending: 1, dispatched: 0, failed: 0 });
    await outbox.createRelay(publisher).dispatchOnce();
    expect(published.map((event) => (event.data as { prefix: string }).prefix)).toEqual(['committed']);
  });

  it('publishes messages in the order they were enqueued and marks them dispatched', async () => {
    const { client, outbox, publisher, published } = await setup();
    const batch = events(5);
    await client.transaction((tx) => outbox.enqueue(tx, batch));
    const relay = outbox.createRelay(publisher, { batchSize: 3 });
    expect(await relay.dispatchOnce()).toEqual({ claimed: 3, published: 3, retried: 0, failed: 0 });
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 2, published: 2 });
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 0 });
    expect(published).toEqual(batch);
    expect(await outbox.stats()).toEqual({ pending: 0, dispatched: 5, failed: 0 });
  });

  it('skips a message enqueued twice', async () => {
    const { client, outbox } = await setup();
    const [event] = events(1);
    await outbox.enqueue(client, [event!]);
    await outbox.enqueue(client, [event!]);
    expect((await outbox.stats()).pending).toBe(1);
  });

  it('stores a large batch atomically in several statements', async () => {
    const { client, outbox } = await setup();
    await outbox.enqueue(client, events(2_500));
    expect(await outbox.stats()).toEqual({ pending: 2_500, dispatched: 0, failed: 0 });
  });

  it('holds a delayed message back until its time', async () => {
    const { client, outbox, publisher, published, clock } = await setup();
    await outbox.enqueue(client, events(1), { delayMs: 5_000 });
    const relay = outbox.createRelay(publisher);
    expect((await relay.dispatchOnce()).claimed).toBe(0);
    clock.advance(5_000);
    expect((await relay.dispatchOnce()).published).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('keeps topics apart: a relay publishes only its own topic', async () => {
    const { client, outbox, publisher, published } = await setup();
    await outbox.enqueue(client, events(1, 'billing'), { topic: 'billing' });
    await outbox.enqueue(client, events(1, 'default'));
    await outbox.createRelay(publisher, { topic: 'billing' }).dispatchOnce();
    expect(published.map((event) => (event.data as { prefix: string }).prefix)).toEqual(['billing']);
  });
}

function defineRetryTests(setup: Setup): void {
  it('retries a failed publish after an exponential backoff, without blocking the others', async () => {
    const { client, outbox, clock } = await setup();
    const [poison, healthy] = events(2);
    let failures = 2;
    const delivered: string[] = [];
    const publisher = eventPublisher(async ([event]: readonly Message[]) => {
      if (event === undefined) return;
      if (event.metadata.messageId === poison!.metadata.messageId && failures-- > 0)
        throw new Error('broker down');
      delivered.push(event.metadata.messageId);
    });
    await outbox.enqueue(client, [poison!, healthy!]);
    const relay = outbox.createRelay(publisher, { baseDelayMs: 1_000, maxDelayMs: 60_000 });
    expect(await relay.dispatchOnce()).toEqual({ claimed: 2, published: 1, retried: 1, failed: 0 });
    clock.advance(999);
    expect((await relay.dispatchOnce()).claimed).toBe(0);
    clock.advance(1);
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 1, retried: 1 });
    clock.advance(1_999);
    expect((await relay.dispatchOnce()).claimed).toBe(0);
    clock.advance(1);
    expect(await relay.dispatchOnce()).toMatchObject({ claimed: 1, published: 1 });
    expect(delivered).toEqual([healthy!.metadata.messageId, poison!.metadata.messageId]);
  });

  it('marks a message failed after maxAttempts and stops retrying it', async () => {
    const { client, outbox, clock } = await setup();
    const publisher = eventPublisher(async () => Promise.reject(new Error('rejected')));
    await outbox.enqueue(client, events(1));
    const relay = outbox.createRelay(publisher, { maxAttempts: 2, baseDelayMs: 10 });
    expect(await relay.dispatchOnce()).toMatchObject({ retried: 1, failed: 0 });
    clock.advance(10);
    expect(await relay.dispatchOnce()).toMatchObject({ retried: 0, failed: 1 });
    clock.advance(1_000_000);
    expect((await relay.dispatchOnce()).claimed).toBe(0);
    expect(await outbox.stats()).toEqual({ pending: 0, dispatched: 0, failed: 1 });
  });

  it('counts a publish cut off by the lease as a failed attempt, and fails it after maxAttempts', async () => {
    const { client, schema, outbox, clock } = await setup();
    const tried: string[] = [];
    let entered = () => {};
    const hanging = eventPublisher(
      ([event]: readonly Message[], options?: PublishOptions) =>
        new Promise<void>((_, reject) => {
          tried.push(event!.metadata.messageId);
          options?.signal?.addEventListener('abort', () => reject(options.signal!.reason as Error));
          entered();
        }),
    );
    const batch = events(2);
    await outbox.enqueue(client, batch);
    const relay = outbox.createRelay(hanging, { leaseMs: 200, maxAttempts: 2, baseDelayMs: 0 });
    const round = async () => {
      const started = new Promise<void>((resolve) => (entered = resolve));
      const result = relay.dispatchOnce();
      await started;
      clock.advance(200);
      return result;
    };
    expect(await round()).toEqual({ claimed: 2, published: 0, retried: 1, failed: 0 });
    const { rows } = await client.query<{ attempts: number; last_error: string }>(
      `SELECT attempts, last_error FROM ${sqlSchema(schema).table('outbox')} ORDER BY position LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({ attempts: 1, last_error: expect.stringContaining('outlived') as string });
    expect(await round()).toEqual({ claimed: 2, published: 0, retried: 0, failed: 1 });
    expect(await round()).toEqual({ claimed: 1, published: 0, retried: 1, failed: 0 });
    expect(tried).toEqual([batch[0], batch[0], batch[1]].map((event) => event!.metadata.messageId));
  });
}

function defineDeliveryTests(setup: Setup): void {
  it('lets several concurrent relays deliver every message exactly once', async () => {
    const { client, outbox } = await setup();
    const batch = events(120);
    await client.transaction((tx) => outbox.enqueue(tx, batch));
    const deliveries: string[] = [];
    const workers = new Set<number>();
    const relays = Array.from({ length: 4 }, (_, index) =>
      outbox.createRelay(
        eventPublisher(async (sent: readonly Message[]) => {
          await new Promise((resolve) => setImmediate(resolve));
          workers.add(index);
          deliveries.push(...sent.map((event) => event.metadata.messageId));
        }),
        { batchSize: 7 },
      ),
    );
    await Promise.all(
      relays.map(async (relay) => {
        while ((await relay.dispatchOnce()).claimed > 0);
      }),
    );
    expect(deliveries).toHaveLength(120);
    expect(new Set(deliveries)).toEqual(new Set(batch.map((event) => event.metadata.messageId)));
    expect(workers.size).toBeGreaterThan(1);
  });

  it('redelivers a message whose relay died between publish and mark, and the inbox skips it', async () => {
    const { client, schema, outbox, clock } = await setup();
    const inbox = new PostgresInbox(client, 'billing', { schema, clock });
    let effects = 0;
    let deliveries = 0;
    const consumer = eventPublisher(async (sent: readonly Message[]) => {
      for (const event of sent) {
        deliveries++;
        await inbox.handle(event, async () => void effects++);
      }
    });
    await outbox.enqueue(client, events(1));
    const dying = new PostgresOutbox(crashingBeforeMark(client), { schema, clock }).createRelay(consumer, {
      leaseMs: 5_000,
    });
    await expect(dying.dispatchOnce()).rejects.toThrow('process died before marking');
    const survivor = outbox.createRelay(consumer, { leaseMs: 5_000 });
    expect((await survivor.dispatchOnce()).claimed).toBe(0);
    clock.advance(5_000);
    expect((await survivor.dispatchOnce()).published).toBe(1);
    expect({ deliveries, effects }).toEqual({ deliveries: 2, effects: 1 });
    expect(await outbox.stats()).toEqual({ pending: 0, dispatched: 1, failed: 0 });
  });
}

function defineLifecycleTests(setup: Setup): void {
  it('publishes in the background after start() until stop()', async () => {
    const { client, outbox, publisher, published, clock } = await setup();
    const relay = outbox.createRelay(publisher, { pollIntervalMs: 1_000 });
    relay.start();
    relay.start();
    await outbox.enqueue(client, events(2));
    await vi.waitFor(async () => {
      await clock.tickAsync(1_000);
      expect(published).toHaveLength(2);
    });
    await relay.stop();
    expect(relay.running).toBe(false);
    await outbox.enqueue(client, events(1));
    await clock.tickAsync(5_000);
    expect(published).toHaveLength(2);
  });

  it('rejects a round on an aborted signal without claiming anything', async () => {
    const { client, outbox, publisher } = await setup();
    await outbox.enqueue(client, events(1));
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const relay = outbox.createRelay(publisher);
    await expect(relay.dispatchOnce(controller.signal)).rejects.toThrow('shutting down');
    expect((await relay.dispatchOnce()).published).toBe(1);
  });

  it('purges dispatched messages older than the given age', async () => {
    const { client, outbox, publisher, clock } = await setup();
    await outbox.enqueue(client, events(2));
    await outbox.createRelay(publisher).dispatchOnce();
    await outbox.enqueue(client, events(1, 'later'));
    clock.advance(60_000);
    expect(await outbox.purgeDispatched(30_000)).toBe(2);
    expect(await outbox.stats()).toEqual({ pending: 1, dispatched: 0, failed: 0 });
  });

  it('refuses every bad relay option at construction with one ValidationError', async () => {
    const { outbox, publisher } = await setup();
    let caught: unknown;
    try {
      outbox.createRelay(publisher, {
        topic: '',
        relayId: 'relay\u0000one',
        batchSize: 0,
        pollIntervalMs: Number.NaN,
        leaseMs: -1,
        baseDelayMs: -1,
        maxDelayMs: Infinity,
        maxAttempts: 1.5,
        logger: {} as never,
      });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'topic',
      'relayId',
      'batchSize',
      'pollIntervalMs',
      'leaseMs',
      'baseDelayMs',
      'maxDelayMs',
      'maxAttempts',
      'logger',
    ]);
  });
}

/**
 * Test helper: the guarantees of {@link PostgresOutbox}, its relay and {@link PostgresInbox},
 * run against PGlite (unit tests) and PostgreSQL (integration tests).
 */
export function outboxBehaviour(name: string, fresh: Fresh): void {
  const setup = setupWith(fresh);
  describe(`PostgresOutbox: ${name}`, () => {
    describe('enqueue', () => defineWriteTests(setup));
    describe('retries', () => defineRetryTests(setup));
    describe('delivery guarantees', () => defineDeliveryTests(setup));
    describe('relay lifecycle and options', () => defineLifecycleTests(setup));
  });
}
