import { ConcurrencyError, isValidationError, ManualClock } from '@keel/core';
import { serviceAvailable } from '@keel/test-services';
import { collect, DuplicateEventError, NO_STREAM } from '@keel/eventsourcing';
import type { AppendResult, NewEvent } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlExecutor, SqlQueryOptions } from '../../client/sqlClient.js';
import {
  createTestPg,
  createTestPglite,
  dropSchemas,
  freshSchema,
} from '../../internal/testDatabase.fixture.js';
import { isPositionOutOfRangeError } from '../../errors.js';
import { MAX_POSITION } from './appendEventsFunction.js';
import { NOTIFY_INTERVAL_MS } from './announcer.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');

/** The store's client, counting the calls of each prepared statement. */
function counting(client: SqlClient) {
  const calls = new Map<string, number>();
  const executor: SqlExecutor = {
    dialect: client.dialect,
    inTransaction: false,
    query: (sql, params, options?: SqlQueryOptions) => {
      const name = options?.name?.replace(/_keel_.*$/, '') ?? 'other';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return client.query(sql, params, options);
    },
    exec: (script, options) => client.exec(script, options),
    transaction: (fn, options) => client.transaction(fn, options),
  };
  return { executor, calls: (name: string) => calls.get(name) ?? 0 };
}

const event = (n: number, id?: string): NewEvent => ({
  type: 'Noted',
  data: { n },
  ...(id ? { eventId: id } : {}),
});

const engines = [
  { name: 'PostgreSQL', open: async () => createTestPg(12), runs: up },
  { name: 'PGlite', open: createTestPglite, runs: true },
];

describe.each(engines)('PostgresEventStore group commit on $name', ({ open, runs }) => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(async () => {
    if (runs) client = await open();
  });
  afterAll(async () => {
    if (!runs) return;
    await dropSchemas(client, schemas);
    await client.close();
  });

  const fresh = async (maxAppendCalls?: number) => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const count = counting(client);
    const options = maxAppendCalls === undefined ? { schema } : { schema, maxAppendCalls };
    return { store: new PostgresEventStore(count.executor, options), ...count };
  };

  it.runIf(runs)('appends many concurrent callers in fewer calls, each at its own position', async () => {
    const { store, calls } = await fresh();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        store.appendToStream(`s-${n}`, [event(n), event(n + 100)], { expectedVersion: NO_STREAM }),
      ),
    );
    expect(calls('keel_append_to_streams')).toBeGreaterThan(0);
    expect(calls('keel_append_to_stream') + calls('keel_append_to_streams')).toBeLessThan(40);
    for (const [n, result] of results.entries()) {
      expect(result.appended).toBe(true);
      expect(result.nextExpectedVersion).toBe(2);
      expect(result.events.map((e) => [e.streamName, e.streamVersion, e.data])).toEqual([
        [`s-${n}`, 1, { n }],
        [`s-${n}`, 2, { n: n + 100 }],
      ]);
      expect(result.lastPosition).toBe(result.events[1]!.globalPosition);
      expect(result.events[1]!.globalPosition).toBe(result.events[0]!.globalPosition + 1);
    }
    // What each caller was told is what a reader of the global order sees, gap-free.
    const all = await collect(store.readAll());
    expect(all.map((e) => e.globalPosition)).toEqual(all.map((_, index) => index + 1));
    const told = results
      .flatMap((result) => result.events)
      .sort((a, b) => a.globalPosition - b.globalPosition);
    expect(all).toEqual(told);
  });

  it.runIf(runs)(
    'gives every waiting append its own outcome, as if run one after the other in arrival order',
    async () => {
      const { store, calls } = await fresh(1);
      await store.appendToStream('elsewhere', [event(0, 'id-taken')], { expectedVersion: NO_STREAM });
      // The first append takes the only call; the rest wait. Appends to 'a' go one per call, in
      // order; the others share a call with the last of them.
      const first = store.appendToStream('first', [event(1)], { expectedVersion: NO_STREAM });
      const outcomes = await Promise.allSettled([
        store.appendToStream('a', [event(2, 'a-1')], { expectedVersion: NO_STREAM }),
        store.appendToStream('a', [event(3)], { expectedVersion: NO_STREAM }), // loses to the one above
        store.appendToStream('a', [event(4)], { expectedVersion: 1 }), // follows it
        store.appendToStream('a', [event(2, 'a-1')], { expectedVersion: NO_STREAM }), // a retry
        store.appendToStream('b', [event(5)], { expectedVersion: 3 }), // no such version
        store.appendToStream('c', [event(6, 'id-taken')], { expectedVersion: NO_STREAM }), // recorded elsewhere
        store.appendToStream('d', [event(7), event(8)], { expectedVersion: NO_STREAM }),
      ]);
      await first;
      expect(calls('keel_append_to_streams')).toBe(1);
      const [a1, aLost, a2, retry, b, c, d] = outcomes;
      const value = (outcome: PromiseSettledResult<AppendResult> | undefined) =>
        outcome?.status === 'fulfilled' ? outcome.value : outcome?.reason;
      expect(value(a1)).toMatchObject({ appended: true, nextExpectedVersion: 1 });
      expect(value(aLost)).toBeInstanceOf(ConcurrencyError);
      expect(value(a2)).toMatchObject({ appended: true, nextExpectedVersion: 2 });
      expect(value(retry)).toMatchObject({ appended: false, nextExpectedVersion: 1 });
      expect((value(retry) as AppendResult).events).toEqual((value(a1) as AppendResult).events);
      expect(value(b)).toBeInstanceOf(ConcurrencyError);
      expect(value(c)).toBeInstanceOf(DuplicateEventError);
      expect(value(d)).toMatchObject({ appended: true, nextExpectedVersion: 2 });
      expect((await collect(store.readStream('a'))).map((e) => e.data)).toEqual([{ n: 2 }, { n: 4 }]);
      expect(await store.streamVersion('b')).toBe(0);
      expect(await store.streamVersion('c')).toBe(0);
      // A conflict or a recorded id is found before positions are drawn: no holes.
      const all = await collect(store.readAll());
      expect(all.map((e) => e.globalPosition)).toEqual(all.map((_, index) => index + 1));
    },
  );

  it.runIf(runs)('fails only the append that would pass 2^53 - 1 when its group does', async () => {
    const { store, calls } = await fresh(1);
    const schema = schemas[schemas.length - 1]!;
    await client.query(`SELECT setval('"${schema}".events_global_position_seq', $1)`, [MAX_POSITION - 4]);
    const two = [event(1), event(2)];
    const first = store.appendToStream('first', [event(0)], { expectedVersion: NO_STREAM });
    const outcomes = await Promise.allSettled([
      store.appendToStream('x', two, { expectedVersion: NO_STREAM }),
      store.appendToStream('y', two, { expectedVersion: NO_STREAM }),
    ]);
    expect((await first).lastPosition).toBe(MAX_POSITION - 3);
    expect(calls('keel_append_to_streams')).toBe(1);
    // The group drew MAX - 2 and gave it back as a hole; one by one, one append still fits.
    const appended = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(appended.map((outcome) => outcome.value.lastPosition)).toEqual([MAX_POSITION]);
    expect(refused).toHaveLength(1);
    expect(isPositionOutOfRangeError(refused[0]!.reason)).toBe(true);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.globalPosition)).toEqual([MAX_POSITION - 3, MAX_POSITION - 1, MAX_POSITION]);
  });

  it.runIf(runs)('stops an append waiting for its group at its signal, sending nothing of it', async () => {
    const { store } = await fresh(1);
    const first = store.appendToStream('first', [event(1)], { expectedVersion: NO_STREAM });
    const controller = new AbortController();
    const waiting = store.appendToStream('aborted', [event(2)], {
      expectedVersion: NO_STREAM,
      signal: controller.signal,
    });
    const other = store.appendToStream('other', [event(3)], { expectedVersion: NO_STREAM });
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
    await first;
    expect((await other).appended).toBe(true);
    expect(await store.streamVersion('aborted')).toBe(0);
  });

  it.runIf(runs)(
    'lets a group carry the notification in its own transaction, with no NOTIFY of its own',
    async () => {
      const schema = await freshSchema(client);
      schemas.push(schema);
      const { executor, calls } = counting(client);
      const clock = new ManualClock(Date.now());
      const store = new PostgresEventStore(executor, { schema, maxAppendCalls: 1, clock });
      const notified: string[] = [];
      const unlisten = await client.listen(`keel_events_${schema}`, (payload) => notified.push(payload));
      try {
        const first = store.appendToStream('first', [event(0)], { expectedVersion: NO_STREAM });
        const grouped = ['a', 'b', 'c'].map((stream) =>
          store.appendToStream(stream, [event(1)], { expectedVersion: NO_STREAM }),
        );
        clock.advance(NOTIFY_INTERVAL_MS); // the group leaves an interval after the first notification
        await Promise.all([first, ...grouped]);
        expect(calls('keel_append_to_streams')).toBe(1);
        // One notification per transaction: the first append's and the group's.
        await expect.poll(() => notified.length).toBe(2);
        expect(calls('keel_events_notify')).toBe(0);
      } finally {
        await unlisten();
      }
    },
  );

  it.runIf(runs)('appends one at a time with no limit (maxAppendCalls: Infinity)', async () => {
    const { store, calls } = await fresh(Infinity);
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        store.appendToStream(`s-${n}`, [event(n)], { expectedVersion: NO_STREAM }),
      ),
    );
    expect(calls('keel_append_to_streams')).toBe(0);
    expect(calls('keel_append_to_stream')).toBe(10);
  });

  it.runIf(runs)('refuses a maxAppendCalls that is not an integer >= 1 or Infinity', () => {
    for (const maxAppendCalls of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      let caught: unknown;
      try {
        new PostgresEventStore(client, { maxAppendCalls });
      } catch (error) {
        caught = error;
      }
      expect(isValidationError(caught), String(maxAppendCalls)).toBe(true);
      expect(String(caught)).toContain('maxAppendCalls');
    }
  });
});

describe.runIf(up)('PostgresEventStore group commit against other transactions', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(12);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  it('does not hold a group behind another transaction: the appends it blocks go one by one', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const store = new PostgresEventStore(client, { schema, maxAppendCalls: 1 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // Another writer's transaction holds an uncommitted first event of 'held'.
    const other = client.transaction(async (tx) => {
      await new PostgresEventStore(tx, { schema }).appendToStream('held', [event(0)], {
        expectedVersion: NO_STREAM,
      });
      holding();
      await released;
    });
    await held;
    const first = store.appendToStream('first', [event(1)], { expectedVersion: NO_STREAM });
    // Its outcome is followed from now on: it may settle the moment the other transaction ends.
    const blocked = store.appendToStream('held', [event(2)], { expectedVersion: NO_STREAM }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const free = [
      store.appendToStream('free-1', [event(3)], { expectedVersion: NO_STREAM }),
      store.appendToStream('free-2', [event(4)], { expectedVersion: NO_STREAM }),
    ];
    // These settle while the other transaction is still open (else this test times out).
    await first;
    for (const result of await Promise.all(free)) expect(result.appended).toBe(true);
    release();
    await other;
    expect(await blocked).toBeInstanceOf(ConcurrencyError);
    const all = await collect(new PostgresEventStore(client, { schema }).readAll());
    expect(all.map((e) => e.streamName).sort()).toEqual(['first', 'free-1', 'free-2', 'held']);
    expect(all.find((e) => e.streamName === 'held')!.data).toEqual({ n: 0 });
  });
});
