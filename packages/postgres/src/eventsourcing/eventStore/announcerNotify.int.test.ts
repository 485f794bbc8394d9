import { serviceAvailable } from '@keel/test-services';
import { ConcurrencyError } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgresEventStore NOTIFY after appends', () => {
  const schemas: string[] = [];
  let writerClient: SqlClient;
  let readerClient: SqlClient;
  beforeAll(() => {
    writerClient = createTestPg(3);
    readerClient = createTestPg(3);
  });
  afterAll(async () => {
    await dropSchemas(writerClient, schemas);
    await readerClient.close();
    await writerClient.close();
  });

  it('wakes a subscriber of another client for every burst of appends, without waiting for its poll', async () => {
    const schema = await freshSchema(writerClient);
    schemas.push(schema);
    const writer = new PostgresEventStore(writerClient, { schema });
    // A poll far longer than the test's timeout: only the NOTIFY can deliver in time.
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 3_600_000 });
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const event of reader.subscribeToAll({ signal: controller.signal })) {
        seen.push((event.data as { n: number }).n);
        if (seen.length === 25) controller.abort();
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    // Bursts closer together than the notification interval, then a pause, then the last one.
    for (let n = 0; n < 20; n++) await writer.appendToStream(`s-${n % 3}`, [{ type: 'N', data: { n } }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let n = 20; n < 25; n++) await writer.appendToStream(`s-${n % 3}`, [{ type: 'N', data: { n } }]);
    await reading;
    expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => n));
  });

  /** The writer's client, counting the store's NOTIFY statements of their own. */
  function countingNotifies(client: SqlClient): { client: SqlClient; standalone: () => number } {
    let count = 0;
    const counting = new Proxy(client, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
        return (sql: string, params?: readonly unknown[], options?: { name?: string }) => {
          if (options?.name === 'keel_events_notify') count++;
          return target.query(sql, params, options);
        };
      },
    });
    return { client: counting, standalone: () => count };
  }

  /** Reads every event with a poll far longer than the test: only notifications deliver. */
  function subscriberUntil(reader: PostgresEventStore, total: number): Promise<number[]> {
    const controller = new AbortController();
    const seen: number[] = [];
    return (async () => {
      for await (const event of reader.subscribeToAll({ signal: controller.signal })) {
        seen.push((event.data as { n: number }).n);
        if (seen.length === total) controller.abort();
      }
      return seen;
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
      return seen;
    });
  }

  it('lets a steady writer carry the notifications in its appends, and sends one of its own only after the last', async () => {
    const schema = await freshSchema(writerClient);
    schemas.push(schema);
    const { client, standalone } = countingNotifies(writerClient);
    const writer = new PostgresEventStore(client, { schema });
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 3_600_000 });
    const notified: string[] = [];
    const unlisten = await readerClient.listen(`keel_events_${schema}`, (payload) => notified.push(payload));
    try {
      let n = 0;
      const started = Date.now();
      while (Date.now() - started < 300)
        await writer.appendToStream('steady', [{ type: 'N', data: { n: n++ } }]);
      const seen = await subscriberUntil(reader, n);
      expect(seen).toEqual(Array.from({ length: n }, (_, k) => k));
      // Notifications came with the appends (about one per 10 ms), not as statements of their
      // own: those are for appends that committed while no later one could carry it (the last
      // few, or on a busy machine an append that took more than an interval).
      await expect.poll(() => notified.length).toBeGreaterThan(5);
      const own = standalone();
      expect(own, `${own} of ${notified.length} notifications sent on their own`).toBeLessThan(
        notified.length / 2,
      );
    } finally {
      await unlisten();
    }
  });

  it('wakes a subscriber after concurrent writers in groups and appends that conflict, without its poll', async () => {
    const schema = await freshSchema(writerClient);
    schemas.push(schema);
    const writer = new PostgresEventStore(writerClient, { schema });
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 3_600_000 });
    const writers = 8;
    const each = 15;
    const reading = subscriberUntil(reader, writers * each);
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let k = 0; k < each; k++) {
          await writer.appendToStream(`w-${w}`, [{ type: 'N', data: { n: w * each + k } }], {
            expectedVersion: k,
          });
          // An append that loses: it may be the one to carry a notification, and notifies nobody.
          await writer
            .appendToStream(`w-${w}`, [{ type: 'N', data: { n: -1 } }], { expectedVersion: k })
            .catch((error: unknown) => {
              if (!(error instanceof ConcurrencyError)) throw error;
              conflicts++;
            });
        }
      }),
    );
    const seen = await reading;
    expect(conflicts).toBe(writers * each);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: writers * each }, (_, k) => k));
  });
});
