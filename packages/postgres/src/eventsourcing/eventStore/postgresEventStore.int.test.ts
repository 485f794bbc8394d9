import { serviceAvailable } from '@keel/test-services';
import { isConcurrencyError } from '@keel/core';
import { collect, isDuplicateEventError, NO_STREAM } from '@keel/eventsourcing';
import type { RecordedEvent } from '@keel/eventsourcing';
import { eventStoreContract } from '@keel/eventsourcing/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { seeded } from '../../internal/seeded.fixture.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');
const WRITERS = 8;
const APPENDS_PER_WRITER = 25;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(up)('PostgresEventStore on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  let readerClient: SqlClient;
  beforeAll(() => {
    client = createTestPg(WRITERS + 2);
    readerClient = createTestPg(3);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await readerClient.close();
    await client.close();
  });

  const fresh = async (): Promise<string> => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return schema;
  };

  describe('full contract', () => {
    eventStoreContract(
      'PostgresEventStore on PostgreSQL',
      async () => new PostgresEventStore(client, { schema: await fresh() }),
    );
  });

  it('lets exactly one of many concurrent appends from separate connections with the same expected version succeed', async () => {
    const store = new PostgresEventStore(client, { schema: await fresh() });
    await store.appendToStream('s-1', [{ type: 'Opened', data: {} }]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, writer) =>
        store.appendToStream(
          's-1',
          [
            { type: `Writer${writer}`, data: {} },
            { type: 'Then', data: {} },
          ],
          {
            expectedVersion: 1,
          },
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(rejected.every((reason) => isConcurrencyError(reason))).toBe(true);
    expect(rejected[0]).toMatchObject({ expected: 1, actual: 3 });
    expect((await collect(store.readStream('s-1'))).map((event) => event.streamVersion)).toEqual([1, 2, 3]);
  });

  it('treats concurrent retries of one batch as one append and rejects its ids elsewhere', async () => {
    const store = new PostgresEventStore(client, { schema: await fresh() });
    const batch = [
      { type: 'Once', data: { n: 1 }, eventId: '0190a8a0-0000-7000-8000-0000000000b1' },
      { type: 'Once', data: { n: 2 }, eventId: '0190a8a0-0000-7000-8000-0000000000b2' },
    ];
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.appendToStream('s-1', batch, { expectedVersion: NO_STREAM })),
    );
    expect(results.filter((result) => result.appended)).toHaveLength(1);
    expect(new Set(results.map((result) => result.lastPosition)).size).toBe(1);
    await expect(store.appendToStream('s-2', batch)).rejects.toSatisfy(isDuplicateEventError);
    // The losers drew positions too: holes the global head passes once no older transaction
    // anywhere in the database is still running (other test files run beside this one).
    const settled = async (): Promise<number> => {
      for (let tries = 0; tries < 400; tries++) {
        const head = await store.headPosition();
        if (head === results[0]!.lastPosition) return head;
        await pause(50);
      }
      return store.headPosition();
    };
    expect(await settled()).toBe(results[0]!.lastPosition);
  });

  it('reads pages, filters and records every field on PostgreSQL', async () => {
    const store = new PostgresEventStore(client, { schema: await fresh() });
    await store.appendToStream('account-1', [
      { type: 'Opened', data: { owner: 'Ada' }, metadata: { userId: 'u-1' } },
      ...Array.from({ length: 6 }, (_, n) => ({ type: 'Deposited', data: { n } })),
    ]);
    await store.appendToStream('order-1', [{ type: 'Deposited', data: null }]);
    const pages = await collect(store.readAllPages({ pageSize: 3, filter: { eventTypes: ['Deposited'] } }));
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().at(-1)).toMatchObject({ streamName: 'order-1', data: null, streamVersion: 1 });
    const [opened] = await collect(store.readStream('account-1', { maxCount: 1 }));
    expect(opened).toMatchObject({ type: 'Opened', data: { owner: 'Ada' }, metadata: { userId: 'u-1' } });
    expect(opened!.recordedAt).toBeInstanceOf(Date);
    const backward = await collect(
      store.readStream('account-1', { direction: 'backward', pageSize: 2, maxCount: 3 }),
    );
    expect(backward.map((event) => event.streamVersion)).toEqual([7, 6, 5]);
  });

  /** Appends from many connections, some holding their transaction open after drawing positions. */
  async function write(schema: string): Promise<number> {
    const random = seeded(42);
    const slow = new PostgresEventStore(client, {
      schema,
      inlineProjections: [{ name: 'slow', apply: () => pause(Math.floor(random() * 12)) }],
    });
    const fast = new PostgresEventStore(client, { schema });
    let written = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let index = 0; index < APPENDS_PER_WRITER; index++) {
          const size = 1 + ((writer + index) % 3);
          const store = (writer + index) % 2 === 0 ? slow : fast;
          const events = Array.from({ length: size }, (_, n) => ({
            type: 'Torture',
            data: { writer, index, n },
          }));
          await store.appendToStream(`torture-${writer}-${index % 3}`, events);
          written += size;
        }
      }),
    );
    return written;
  }

  it('never lets a reader skip an event while concurrent writers commit out of order', async () => {
    const schema = await fresh();
    const expectedCount = Array.from({ length: WRITERS }, (_, writer) =>
      Array.from({ length: APPENDS_PER_WRITER }, (_, index) => 1 + ((writer + index) % 3)).reduce(
        (a, b) => a + b,
        0,
      ),
    ).reduce((a, b) => a + b, 0);
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 20 });
    const subscribed: RecordedEvent[] = [];
    const controller = new AbortController();
    let finalHead = Infinity;
    const subscription = (async () => {
      const events = reader.subscribeToAll({
        pageSize: 17,
        signal: controller.signal,
        // Stops once caught up with everything written; a skipped event stays missing.
        onCaughtUp: (position) => position >= finalHead && controller.abort(new Error('done')),
      });
      await expect(
        (async () => {
          for await (const event of events) subscribed.push(event);
        })(),
      ).rejects.toThrow('done');
    })();
    const tailed: RecordedEvent[] = [];
    let writing = true;
    const tail = (async () => {
      // A checkpointing reader: resumes after the last position it saw, like a projection.
      for (;;) {
        const from = (tailed.at(-1)?.globalPosition ?? 0) + 1;
        const page = await collect(reader.readAll({ fromPosition: from, pageSize: 13 }));
        tailed.push(...page);
        if (!writing && page.length === 0) return;
        await pause(3);
      }
    })();
    const written = await write(schema);
    writing = false;
    finalHead = await reader.headPosition();
    await Promise.all([subscription, tail]);
    const all = (await collect(reader.readAll())).map((event) => event.globalPosition);
    expect(written).toBe(expectedCount);
    expect(all).toHaveLength(expectedCount);
    for (const seen of [subscribed, tailed]) {
      const positions = seen.map((event) => event.globalPosition);
      expect(positions).toEqual(all);
      expect(new Set(seen.map((event) => event.eventId)).size).toBe(expectedCount);
    }
  }, 60_000);

  it('wakes a subscriber in another process through NOTIFY before its poll is due', async () => {
    const schema = await fresh();
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 60_000 });
    const writer = new PostgresEventStore(client, { schema });
    const controller = new AbortController();
    const delivered: string[] = [];
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    const run = (async () => {
      for await (const event of reader.subscribeToAll({
        signal: controller.signal,
        onCaughtUp: () => caughtUp(),
      })) {
        delivered.push(event.type);
        if (delivered.length === 1) return;
      }
    })();
    await ready;
    await writer.appendToStream('s-1', [{ type: 'Notified', data: {} }]);
    await run;
    expect(delivered).toEqual(['Notified']);
  }, 20_000);
});
