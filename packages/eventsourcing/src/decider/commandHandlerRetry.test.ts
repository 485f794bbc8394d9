import { describe, expect, it } from 'vitest';
import type { AppendOptions, EventStore } from '../eventStore/eventStore.js';
import type { NewEvent } from '../eventStore/recordedEvent.js';
import { collect } from '../eventStore/collect.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { aggregateStream } from '../snapshots/aggregateStream.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { createCommandHandler } from './commandHandler.js';
import type { Decider } from './decider.js';

type Deposit = { type: 'Deposit'; amount: number; commandId: string };
type Deposited = { type: 'Deposited'; data: { amount: number }; metadata?: Record<string, unknown> };

/** An account whose events take the command's id, so a repeated command repeats its event ids. */
const account: Decider<Deposit, number, Deposited> = {
  initialState: () => 0,
  decide: (command) => [
    { type: 'Deposited', data: { amount: command.amount }, metadata: { messageId: command.commandId } },
  ],
  evolve: (balance, event) => balance + event.data.amount,
};

const deposit = (amount: number, commandId: string): Deposit => ({ type: 'Deposit', amount, commandId });

async function balanceIn(store: EventStore, streamName: string): Promise<number> {
  const events = await collect(store.readStream(streamName));
  return events.reduce((balance, event) => balance + (event.data as { amount: number }).amount, 0);
}

/** `inner`, where `race` runs (with the append's events and options) before the first append. */
function beforeFirstAppend(
  inner: InMemoryEventStore,
  race: (events: readonly NewEvent[], options: AppendOptions | undefined) => Promise<void>,
): EventStore {
  let raced = false;
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'appendToStream') {
        return async (streamName: string, events: readonly NewEvent[], options?: AppendOptions) => {
          if (!raced) {
            raced = true;
            await race(events, options);
          }
          return target.appendToStream(streamName, events, options);
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('createCommandHandler on an idempotent retry', () => {
  it('returns the stream state once when the same command is retried at the same expected version', async () => {
    const store = new InMemoryEventStore();
    const handle = createCommandHandler(store, account);
    await handle('acc-1', deposit(50, 'c1'), { expectedVersion: 0 });
    const retry = await handle('acc-1', deposit(50, 'c1'), { expectedVersion: 0 });
    expect(retry).toMatchObject({ state: 50, nextExpectedVersion: 1 });
    expect(retry.events.map((event) => event.streamVersion)).toEqual([1]);
    expect(await balanceIn(store, 'acc-1')).toBe(50);
  });

  it('returns the loaded state and version when the retried events lie behind it, and takes no snapshot', async () => {
    const store = new InMemoryEventStore();
    const snapshots = new InMemorySnapshotStore();
    const policy = (context: { state: number }) => context.state > 100;
    const handle = createCommandHandler(store, account, { snapshots: { store: snapshots, policy } });
    await handle('acc-2', deposit(60, 'd1'));
    await handle('acc-2', deposit(30, 'd2'));
    const retry = await handle('acc-2', deposit(60, 'd1'), { expectedVersion: 'any' });
    expect(retry).toMatchObject({ state: 90, nextExpectedVersion: 2 });
    expect(await snapshots.load('acc-2')).toBeUndefined();
    const loaded = await aggregateStream(store, 'acc-2', {
      initialState: account.initialState,
      evolve: (balance, event) => balance + (event.data as { amount: number }).amount,
      snapshots: { store: snapshots, policy: () => false },
    });
    expect(loaded).toMatchObject({ state: 90, version: 2 });
  });

  it('reads the events between the loaded version and the retried ones', async () => {
    const inner = new InMemoryEventStore();
    await inner.appendToStream('acc-3', [{ type: 'Deposited', data: { amount: 1 } }]);
    // Between the handler's load (at version 1) and its append, a rival deposit and the same
    // command (from a first attempt whose acknowledgement was lost) land at versions 2 and 3.
    const store = beforeFirstAppend(inner, async (events, options) => {
      await inner.appendToStream('acc-3', [{ type: 'Deposited', data: { amount: 10 } }]);
      await inner.appendToStream('acc-3', events, options);
    });
    const handle = createCommandHandler(store, account);
    const retry = await handle('acc-3', deposit(100, 'c3'), { expectedVersion: 2 });
    expect(retry).toMatchObject({ state: 111, nextExpectedVersion: 3 });
    expect(await balanceIn(inner, 'acc-3')).toBe(111);
  });

  it('folds retried events that follow the loaded version once', async () => {
    const inner = new InMemoryEventStore();
    // A concurrent attempt of the same command lands between the handler's load and its append.
    const store = beforeFirstAppend(inner, async (events, options) => {
      await inner.appendToStream('acc-4', events, options);
    });
    const handle = createCommandHandler(store, account);
    const retry = await handle('acc-4', deposit(5, 'c4'));
    expect(retry).toMatchObject({ state: 5, nextExpectedVersion: 1 });
  });
});
