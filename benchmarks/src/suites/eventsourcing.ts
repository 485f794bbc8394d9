// @keel/eventsourcing's InMemoryEventStore against Emmett's getInMemoryEventStore in the same
// process: append throughput in batches of 1, 10 and 100 events, and read-and-rebuild of a
// 10,000-event stream (Keel with and without a snapshot; Emmett has no snapshot store).
import { getInMemoryEventStore } from '@event-driven-io/emmett';
import type { Event as EmmettEvent } from '@event-driven-io/emmett';
import {
  aggregateStream,
  InMemoryEventStore,
  InMemorySnapshotStore,
  everyNEvents,
} from '@keel/eventsourcing';
import type { RecordedEvent } from '@keel/eventsourcing';
import { compare, record } from '../harness.js';

type Deposited = EmmettEvent<'Deposited', { amount: number }>;

const STREAMS = 1_000;
/** Both stores are replaced after this many appended events so memory stays flat. */
const RESET_AFTER = 10_000;

function depositBatch(size: number): { type: 'Deposited'; data: { amount: number } }[] {
  return Array.from({ length: size }, (_, index) => ({
    type: 'Deposited' as const,
    data: { amount: index + 1 },
  }));
}

function keelAppender(batch: readonly { type: string; data: unknown }[]) {
  let store = new InMemoryEventStore();
  let appended = 0;
  return async () => {
    if (appended >= RESET_AFTER) [store, appended] = [new InMemoryEventStore(), 0];
    await store.appendToStream(`account-${appended % STREAMS}`, batch);
    appended += batch.length;
  };
}

function emmettAppender(batch: Deposited[]) {
  let store = getInMemoryEventStore();
  let appended = 0;
  return async () => {
    if (appended >= RESET_AFTER) [store, appended] = [getInMemoryEventStore(), 0];
    await store.appendToStream<Deposited>(`account-${appended % STREAMS}`, batch);
    appended += batch.length;
  };
}

const STREAM_LENGTH = 10_000;
const SNAPSHOT_EVERY = 100;
type Balance = { balance: number; count: number };
const initialState = (): Balance => ({ balance: 0, count: 0 });
const evolve = (state: Balance, event: { data: unknown }): Balance => ({
  balance: state.balance + (event.data as { amount: number }).amount,
  count: state.count + 1,
});

async function rebuildContenders() {
  const events = depositBatch(STREAM_LENGTH);
  const emmett = getInMemoryEventStore();
  await emmett.appendToStream<Deposited>('account-1', events);
  const keel = new InMemoryEventStore();
  for (let start = 0; start < STREAM_LENGTH; start += 500) {
    await keel.appendToStream('account-1', events.slice(start, start + 500));
  }
  // A snapshot taken by the every-100 policy 50 events before the end: a load replays 50.
  const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(SNAPSHOT_EVERY) };
  const upTo = STREAM_LENGTH - 50;
  let state = initialState();
  for await (const event of keel.readStream('account-1', { maxCount: upTo })) state = evolve(state, event);
  await snapshots.store.save({
    streamName: 'account-1',
    version: upTo,
    schemaVersion: 1,
    state,
    takenAt: new Date(),
  });
  const keelEvolve = (current: Balance, event: RecordedEvent) => evolve(current, event);
  await checkSameState(emmett, keel, snapshots);
  return [
    {
      name: 'emmett aggregateStream (full replay)',
      fn: () => emmett.aggregateStream<Balance, Deposited>('account-1', { initialState, evolve }),
    },
    {
      name: 'keel aggregateStream (full replay)',
      fn: () => aggregateStream(keel, 'account-1', { initialState, evolve: keelEvolve }),
    },
    {
      name: 'keel for await over readStream (per-event iterator)',
      fn: async () => {
        let current = initialState();
        for await (const event of keel.readStream('account-1')) current = evolve(current, event);
        return current;
      },
    },
    {
      name: 'keel aggregateStream (snapshot + 50 events)',
      fn: () => aggregateStream(keel, 'account-1', { initialState, evolve: keelEvolve, snapshots }),
    },
  ];
}

/** Fails the suite unless every contender rebuilds the same state from all 10,000 events. */
async function checkSameState(
  emmett: ReturnType<typeof getInMemoryEventStore>,
  keel: InMemoryEventStore,
  snapshots: { store: InMemorySnapshotStore; policy: ReturnType<typeof everyNEvents> },
): Promise<void> {
  const keelEvolve = (current: Balance, event: RecordedEvent) => evolve(current, event);
  const states = [
    (await emmett.aggregateStream<Balance, Deposited>('account-1', { initialState, evolve })).state,
    (await aggregateStream(keel, 'account-1', { initialState, evolve: keelEvolve })).state,
    (await aggregateStream(keel, 'account-1', { initialState, evolve: keelEvolve, snapshots })).state,
  ];
  const expected = JSON.stringify({
    balance: (STREAM_LENGTH * (STREAM_LENGTH + 1)) / 2,
    count: STREAM_LENGTH,
  });
  for (const state of states) {
    if (JSON.stringify(state) !== expected)
      throw new Error(`Rebuilt ${JSON.stringify(state)}, expected ${expected}.`);
  }
}

export async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const size of [1, 10, 100]) {
    const batch = depositBatch(size);
    const comparison = await compare(`append, batches of ${size} event(s) (ops = batches)`, [
      { name: `emmett appendToStream x${size}`, fn: emmettAppender(batch) },
      { name: `keel appendToStream x${size}`, fn: keelAppender(batch) },
    ]);
    for (const row of comparison.rows) {
      rows.push([
        row.name,
        `${Math.round(row.opsPerSecond * size).toLocaleString('en-US')}`,
        `${row.ratioToBaseline.toFixed(2)}x`,
      ]);
    }
  }
  record('append throughput in events per second', ['contender', 'events/s', 'ratio to emmett'], rows);
  await compare(
    `read and rebuild a ${STREAM_LENGTH.toLocaleString('en-US')}-event stream`,
    await rebuildContenders(),
  );
}
