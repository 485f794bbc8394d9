import { serviceAvailable } from '@keel/test-services';
import { ManualClock } from '@keel/core';
import { collect, ProjectionRunner } from '@keel/eventsourcing';
import type { RecordedEvent } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { seeded } from '../../internal/seeded.fixture.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresCheckpointStore } from '../projections/postgresCheckpointStore.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');
const WRITERS = 6;
const APPENDS_PER_WRITER = 30;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A reader's log that fails the moment a position shows up at or behind one it already passed. */
class OrderedLog {
  readonly ids = new Set<string>();
  readonly positions: number[] = [];
  violation: string | undefined;

  constructor(readonly name: string) {}

  see(event: RecordedEvent): void {
    const last = this.positions.at(-1) ?? 0;
    if (event.globalPosition <= last) {
      this.violation ??= `${this.name} saw position ${event.globalPosition} after ${last}`;
      throw new Error(this.violation);
    }
    this.positions.push(event.globalPosition);
    this.ids.add(event.eventId);
  }

  get last(): number {
    return this.positions.at(-1) ?? 0;
  }
}

describe.runIf(up)('the PostgreSQL global order under concurrent writers (torture)', () => {
  const schemas: string[] = [];
  const pools: SqlClient[] = [];
  let admin: SqlClient;
  beforeAll(() => {
    admin = createTestPg(4);
  });
  afterAll(async () => {
    await dropSchemas(admin, schemas);
    await Promise.all(pools.map((pool) => pool.close()));
    await admin.close();
  });

  const pool = (max: number): SqlClient => {
    const client = createTestPg(max);
    pools.push(client);
    return client;
  };

  /**
   * One writer on its own pool: plain appends, appends through a store with a slow inline
   * projection, and appends in a caller transaction held open for a while and then committed or
   * rolled back. Returns the ids of every event that committed.
   */
  async function writer(schema: string, index: number): Promise<Set<string>> {
    const random = seeded(1000 + index);
    const client = pool(3);
    const plain = new PostgresEventStore(client, { schema });
    const slow = new PostgresEventStore(client, {
      schema,
      inlineProjections: [{ name: 'slow', apply: () => pause(Math.floor(random() * 15)) }],
    });
    const committed = new Set<string>();
    for (let n = 0; n < APPENDS_PER_WRITER; n++) {
      const size = 1 + Math.floor(random() * 4);
      const events = Array.from({ length: size }, (_, k) => ({
        type: 'Torture',
        data: { index, n, k },
        eventId: `w${index}-a${n}-e${k}-${schema}`,
      }));
      const stream = `torture-${index}-${n % 4}`;
      const kind = random();
      if (kind < 0.35) {
        await plain.appendToStream(stream, events);
        events.forEach((event) => committed.add(event.eventId));
      } else if (kind < 0.65) {
        await slow.appendToStream(stream, events);
        events.forEach((event) => committed.add(event.eventId));
      } else {
        const rollBack = random() < 0.3;
        const held = Math.floor(random() * 25);
        await client
          .transaction(async (tx) => {
            // The caller's own write first: its transaction id is older than appends that draw
            // positions before it does, the case a plain transaction-id watermark gets wrong.
            await tx.query('SELECT pg_current_xact_id()');
            await pause(Math.floor(random() * 10));
            await new PostgresEventStore(tx, { schema }).appendToStream(stream, events);
            await pause(held); // positions drawn, transaction still open
            if (rollBack) throw new Error('roll back');
          })
          .catch((error: unknown) => {
            if (!(error instanceof Error) || error.message !== 'roll back') throw error;
          });
        if (!rollBack) events.forEach((event) => committed.add(event.eventId));
      }
    }
    return committed;
  }

  /** Holds an unrelated write transaction open, so the oldest running transaction lags. */
  async function blocker(client: SqlClient, ms: number): Promise<void> {
    await client
      .transaction(async (tx) => {
        await tx.query('SELECT pg_current_xact_id()');
        await pause(ms);
        throw new Error('blocker done');
      })
      .catch(() => undefined);
  }

  it('shows every reader each committed event once, in order, never behind a position it passed', async () => {
    const schema = await freshSchema(admin);
    schemas.push(schema);
    const readers = pool(6);
    const reader = new PostgresEventStore(readers, { schema, pollIntervalMs: 25, pageSize: 7 });
    let stopAt = Infinity;
    const stop = new AbortController();

    const tail = new OrderedLog('readAll tail');
    const tailing = (async () => {
      while (!stop.signal.aborted || tail.last < stopAt) {
        for await (const event of reader.readAll({ fromPosition: tail.last + 1, pageSize: 5 }))
          tail.see(event);
        if (tail.last >= stopAt) return;
        await pause(2);
      }
    })();

    const subscribed = new OrderedLog('subscribeToAll');
    const subscribing = (async () => {
      const done = new AbortController();
      try {
        for await (const event of reader.subscribeToAll({
          signal: done.signal,
          pageSize: 11,
          onCaughtUp: (position) => {
            if (position >= stopAt) done.abort(new Error('caught up'));
          },
        })) {
          subscribed.see(event);
        }
      } catch (error) {
        if (!done.signal.aborted) throw error;
      }
    })();

    const projected = new OrderedLog('ProjectionRunner');
    const runner = new ProjectionRunner(
      reader,
      { name: 'torture', handle: (event) => projected.see(event) },
      { checkpoints: new PostgresCheckpointStore(readers, { schema }) },
    );
    runner.start();

    const blockers = pool(2);
    const blocking = (async () => {
      for (let n = 0; n < 4; n++) await blocker(blockers, 150);
    })();
    const committedSets = await Promise.all(
      Array.from({ length: WRITERS }, (_, index) => writer(schema, index)),
    );
    await blocking;
    const committed = new Set(committedSets.flatMap((set) => [...set]));
    // Every append has ended: wait until the global head reaches the last row (a rolled-back
    // position is passed once no older transaction anywhere in the database is running).
    const { rows } = await admin.query<{ last: number }>(
      `SELECT coalesce(max(global_position), 0) AS last FROM "${schema}".events`,
    );
    const last = rows[0]!.last;
    for (let tries = 0; tries < 400 && (await reader.headPosition()) < last; tries++) await pause(50);
    stopAt = await reader.headPosition();
    expect(stopAt).toBe(last);
    stop.abort();
    await Promise.all([tailing, subscribing]);
    while (runner.position < stopAt && runner.status === 'running') await pause(10);
    await runner.stop();

    const all: RecordedEvent[] = [];
    for await (const event of reader.readAll()) all.push(event);
    expect(new Set(all.map((event) => event.eventId))).toEqual(committed);
    for (const log of [tail, subscribed, projected]) {
      expect(log.violation).toBeUndefined();
      expect(log.ids).toEqual(committed);
      expect(log.positions).toEqual(all.map((event) => event.globalPosition));
    }
    expect(runner.error).toBeUndefined();
    // Rolled-back appends left holes in the positions; readers passed them without waiting.
    expect(all.at(-1)!.globalPosition).toBeGreaterThan(committed.size);
  }, 120_000);

  it('shows committed events at once while an unrelated write transaction stays open', async () => {
    const schema = await freshSchema(admin);
    schemas.push(schema);
    const client = pool(4);
    const store = new PostgresEventStore(client, { schema });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const open = new Promise<void>((resolve) => (started = resolve));
    const unrelated = client.transaction(async (tx) => {
      await tx.query('SELECT pg_current_xact_id()');
      started();
      await held;
    });
    await open;
    await store.appendToStream('s-1', [{ type: 'A', data: {} }]);
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['A']);
    expect(await store.headPosition()).toBe(1);
    release();
    await unrelated;
  });

  it('holds readers before a position an open append still owns, then moves on when it ends', async () => {
    const schema = await freshSchema(admin);
    schemas.push(schema);
    const client = pool(4);
    const store = new PostgresEventStore(client, { schema });
    await store.appendToStream('s-0', [{ type: 'Before', data: {} }]);
    for (const outcome of ['commit', 'rollback'] as const) {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let drawn!: () => void;
      const owning = new Promise<void>((resolve) => (drawn = resolve));
      const open = client
        .transaction(async (tx) => {
          await new PostgresEventStore(tx, { schema }).appendToStream(`open-${outcome}`, [
            { type: 'Open', data: {} },
          ]);
          drawn();
          await held;
          if (outcome === 'rollback') throw new Error('rolled back');
        })
        .catch(() => undefined);
      await owning;
      const head = await store.headPosition();
      const later = await store.appendToStream(`later-${outcome}`, [{ type: 'Later', data: {} }]);
      // The later event is committed, but a reader must not pass the open append's position.
      expect(await store.headPosition()).toBe(head);
      expect((await collect(store.readAll({ fromPosition: head + 1 }))).map((event) => event.type)).toEqual(
        [],
      );
      release();
      await open;
      // A rolled-back position is passed once no older transaction anywhere in the database is
      // still running (other test files run beside this one), so wait for that, boundedly.
      for (let tries = 0; tries < 400 && (await store.headPosition()) < later.lastPosition; tries++)
        await pause(50);
      const after = (await collect(store.readAll({ fromPosition: head + 1 }))).map((event) => event.type);
      expect(after).toEqual(outcome === 'commit' ? ['Open', 'Later'] : ['Later']);
      expect(await store.headPosition()).toBe(later.lastPosition);
    }
  });

  it('holds readers behind an open append even when a later position belongs to an older transaction', async () => {
    const schema = await freshSchema(admin);
    schemas.push(schema);
    const client = pool(4);
    const store = new PostgresEventStore(client, { schema });
    const gate = (): {
      release: () => void;
      held: Promise<void>;
      reached: () => void;
      reachedP: Promise<void>;
    } => {
      let release!: () => void;
      let reached!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const reachedP = new Promise<void>((resolve) => (reached = resolve));
      return { release, held, reached, reachedP };
    };
    const olderWrote = gate();
    const openDrew = gate();
    const olderMayAppend = gate();
    // The older transaction writes first (its id is the oldest), then appends after the open one.
    const older = client.transaction(async (tx) => {
      await tx.query('SELECT pg_current_xact_id()');
      olderWrote.reached();
      await olderMayAppend.held;
      await new PostgresEventStore(tx, { schema }).appendToStream('older', [{ type: 'Older', data: {} }]);
    });
    await olderWrote.reachedP;
    const open = client.transaction(async (tx) => {
      await new PostgresEventStore(tx, { schema }).appendToStream('open', [{ type: 'Open', data: {} }]);
      openDrew.reached();
      await openDrew.held;
    });
    await openDrew.reachedP;
    olderMayAppend.release();
    await older; // committed: position 2, transaction id older than the open append's
    expect(await collect(store.readAll())).toEqual([]);
    openDrew.release();
    await open;
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['Open', 'Older']);
  });

  it('keeps recordedAt from decreasing along the global order across skewed writer clocks', async () => {
    const schema = await freshSchema(admin);
    schemas.push(schema);
    const client = pool(8);
    let backwards = 1_700_000_000_000;
    /** A clock that runs backwards, 7 ms per reading. */
    class BackwardsClock extends ManualClock {
      override now(): number {
        return (backwards -= 7);
      }
    }
    // Writer clocks that disagree by up to a minute, one of them running backwards.
    const stores = Array.from(
      { length: 4 },
      (_, index) =>
        new PostgresEventStore(client, {
          schema,
          clock: index === 3 ? new BackwardsClock() : new ManualClock(1_700_000_000_000 + index * 20_000),
        }),
    );
    await Promise.all(
      stores.map(async (store, index) => {
        for (let n = 0; n < 20; n++)
          await store.appendToStream(`clock-${index}`, [{ type: 'Tick', data: { n } }]);
      }),
    );
    const times: number[] = [];
    for await (const event of stores[0]!.readAll()) times.push(event.recordedAt.getTime());
    expect(times).toHaveLength(80);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
