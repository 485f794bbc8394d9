import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, TRACEPARENT, withSpan } from '@keel/core';
import { correlationMiddleware, createCommandBus, createEventBus } from '@keel/cqrs';
import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import {
  createCommandHandler,
  EventSourcedRepository,
  InMemoryDeadLetterStore,
  InMemoryEventStore,
  NO_STREAM,
  ProjectionRunner,
} from '@keel/eventsourcing';
import type { Decider, EventStore, Projection, RecordedEvent } from '@keel/eventsourcing';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const opened = (owner = 'Ada') => ({ type: 'Opened', data: { owner } });
const names = (spans: readonly ReadableSpan[]) => spans.map((span) => span.name);
const eventNames = (span: ReadableSpan) => span.events.map((event) => event.name);

type AccountEvents = { Opened: { owner: string } };

class Account extends AggregateRoot<string, AccountEvents> {
  readonly aggregateType = 'Account';
  owner = '';
  protected readonly handlers: EventHandlers<AccountEvents> = {
    Opened: ({ owner }) => {
      this.owner = owner;
    },
  };
  open(owner: string): void {
    this.raise('Opened', { owner });
  }
}

describe('event store telemetry', () => {
  it('traces an append with its stream, count, expected version and outcome', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('account-1', [opened(), opened()], { expectedVersion: NO_STREAM });
    expect(kit.span('append_to_stream').attributes).toMatchObject({
      'keel.stream.name': 'account-1',
      'keel.event.count': 2,
      'keel.expected_version': 'no_stream',
      'keel.outcome': 'appended',
      'keel.stream.version': 2,
      'keel.position': 2,
    });
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'appended' })).toBe(1);
    expect(await kit.value('keel.eventstore.events.appended')).toBe(2);
  });

  it('fails the append span of a version conflict and counts the conflict', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('account-1', [opened()]);
    await expect(
      store.appendToStream('account-1', [opened()], { expectedVersion: NO_STREAM }),
    ).rejects.toThrow();
    const [, conflicted] = kit.spans().filter((span) => span.name === 'append_to_stream');
    expect(conflicted!.status.code).toBe(SpanStatusCode.ERROR);
    expect(conflicted!.attributes).toMatchObject({
      'error.type': 'CONCURRENCY_CONFLICT',
      'keel.outcome': 'conflict',
    });
    expect(await kit.value('keel.eventstore.conflicts')).toBe(1);
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'conflict' })).toBe(1);
  });

  it('records a retried append of the same event ids as recorded, writing no events', async () => {
    const store = new InMemoryEventStore();
    const events = [{ ...opened(), eventId: 'e-1' }];
    await store.appendToStream('account-1', events, { expectedVersion: NO_STREAM });
    await store.appendToStream('account-1', events, { expectedVersion: NO_STREAM });
    expect(await kit.value('keel.eventstore.appends', { 'keel.outcome': 'recorded' })).toBe(1);
    expect(await kit.value('keel.eventstore.events.appended')).toBe(1);
  });

  it('traces each page a read fetches with the events it holds', async () => {
    const store = new InMemoryEventStore({ pageSize: 2 });
    await store.appendToStream('account-1', [opened(), opened(), opened()]);
    kit.resetSpans();
    for await (const _event of store.readStream('account-1'));
    for await (const _event of store.readAll({ pageSize: 5 }));
    const reads = kit.spans().filter((span) => span.name === 'read_stream');
    expect(reads.map((span) => span.attributes['keel.event.count'])).toEqual([2, 1]);
    expect(reads[0]!.attributes['keel.stream.name']).toBe('account-1');
    expect(kit.span('read_all').attributes['keel.event.count']).toBe(3);
  });
});

describe('aggregate telemetry', () => {
  it('shows a command, its load, append and event handlers as one span tree', async () => {
    const store = new InMemoryEventStore();
    const events = createEventBus();
    events.subscribe('Opened', async () => {}, { name: 'welcome' });
    const accounts = new EventSourcedRepository(store, (id: string) => new Account(id), {
      publisher: events,
    });
    const commands = createCommandBus({ middleware: [correlationMiddleware()] });
    commands.register('Open', async ({ data }) => {
      const id = (data as { id: string }).id;
      const account = (await accounts.find(id)) ?? new Account(id);
      account.open('Ada');
      await accounts.save(account);
    });
    await commands.send('Open', { id: '42' });
    const handle = kit.span('handle Open');
    expect(names(kit.childrenOf(handle))).toEqual(['load Account', 'save Account']);
    const load = kit.span('load Account');
    expect(load.attributes).toMatchObject({ 'keel.stream.name': 'Account-42', 'keel.aggregate.version': 0 });
    // The stream is empty: one page read, with no events.
    expect(kit.childrenOf(load).map((span) => span.attributes['keel.event.count'])).toEqual([0]);
    const save = kit.span('save Account');
    expect(save.attributes).toMatchObject({ 'keel.event.count': 1, 'keel.expected_version': 0 });
    expect(names(kit.childrenOf(save))).toEqual(['append_to_stream', 'publish Opened']);
    const [process] = kit.childrenOf(kit.span('publish Opened'));
    expect(names(kit.childrenOf(process!))).toEqual(['handle Opened (welcome)']);
    expect(new Set(kit.spans().map((span) => span.spanContext().traceId)).size).toBe(1);
  });

  it('traces a reload of an existing aggregate with the pages it read', async () => {
    const store = new InMemoryEventStore();
    const accounts = new EventSourcedRepository(store, (id: string) => new Account(id));
    await store.appendToStream('Account-7', [opened()]);
    kit.resetSpans();
    await accounts.get('7');
    const load = kit.span('load Account');
    expect(load.attributes['keel.aggregate.version']).toBe(1);
    expect(names(kit.childrenOf(load))).toEqual(['read_stream']);
  });

  it('records a decider retry after a version conflict as a span event', async () => {
    type Command = { type: 'Deposit'; amount: number };
    type Event = { type: 'Deposited'; data: { amount: number } };
    const decider: Decider<Command, number, Event> = {
      initialState: () => 0,
      decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
      evolve: (state, event) => state + event.data.amount,
    };
    const inner = new InMemoryEventStore();
    let interfered = false;
    // Another writer appends to the stream just before the handler's first append.
    const interfere = async (...args: Parameters<EventStore['appendToStream']>) => {
      if (!interfered) {
        interfered = true;
        await inner.appendToStream('wallet-1', [{ type: 'Deposited', data: { amount: 1 } }]);
      }
      return inner.appendToStream(...args);
    };
    const racing = new Proxy(inner, {
      get: (target, key) => {
        if (key === 'appendToStream') return interfere;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const handle = createCommandHandler(racing, decider, { maxConflictRetries: 2 });
    const result = await handle('wallet-1', { type: 'Deposit', amount: 5 });
    expect(result.state).toBe(6);
    const decide = kit.span('decide Deposit');
    expect(decide.status.code).toBe(SpanStatusCode.UNSET);
    expect(eventNames(decide)).toEqual(['retry']);
    expect(decide.events[0]!.attributes).toMatchObject({
      'keel.attempt': 2,
      'error.type': 'CONCURRENCY_CONFLICT',
    });
    const appends = kit.childrenOf(decide).filter((span) => span.name === 'append_to_stream');
    // The interfering writer's append (it runs inside the test's store), the conflict, the retry.
    expect(appends.map((span) => span.attributes['keel.outcome'])).toEqual([
      'appended',
      'conflict',
      'appended',
    ]);
  });
});

function countingProjection(seen: RecordedEvent[], fail?: (event: RecordedEvent) => boolean): Projection {
  return {
    name: 'balances',
    handle: (event) => {
      if (fail?.(event) === true) throw new RangeError(`bad event ${event.globalPosition}`);
      seen.push(event);
    },
    handleBatch: (events) => {
      if (events.some((event) => fail?.(event) === true)) throw new RangeError('bad batch');
      seen.push(...events);
    },
  };
}

describe('projection telemetry', () => {
  it('traces a batch with links to the traces its events were written in', async () => {
    const store = new InMemoryEventStore();
    const traced = await withSpan('place order', {}, async () => {
      const event = createEvent('Opened', { owner: 'Ada' });
      await store.appendToStream('a-1', [event]);
      return event.metadata.headers[TRACEPARENT]!;
    });
    await store.appendToStream('a-2', [opened(), opened()]);
    const seen: RecordedEvent[] = [];
    await new ProjectionRunner(store, countingProjection(seen)).catchUp();
    const batch = kit.span('projection balances');
    expect(batch.attributes).toMatchObject({
      'keel.projection.name': 'balances',
      'keel.event.count': 3,
      'keel.position.first': 1,
      'keel.position.last': 3,
    });
    expect(batch.links.map((link) => link.context.spanId)).toEqual([traced.split('-')[2]]);
    expect(await kit.value('keel.projection.events', { 'keel.outcome': 'processed' })).toBe(3);
  });

  it('measures the lag as the head position minus the checkpoint after each batch', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a-1', [opened(), opened(), opened()]);
    const projection: Projection = {
      name: 'balances',
      // Events keep arriving while the projection works: one more per event handled.
      handle: async (event) =>
        void (event.streamName === 'a-1' && (await store.appendToStream('b', [opened()]))),
    };
    const runner = new ProjectionRunner(store, projection, { batchSize: 3 });
    await runner.catchUp();
    const [lag] = await kit.points('keel.projection.lag', { 'keel.projection.name': 'balances' });
    expect(lag!.value).toBe(3);
    await runner.catchUp();
    expect(await kit.value('keel.projection.lag', { 'keel.projection.name': 'balances' })).toBe(0);
  });

  it('records no lag once a running projection has caught up with live events', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a-1', [opened(), opened()]);
    const runner = new ProjectionRunner(store, countingProjection([]));
    runner.start();
    try {
      await runner.waitUntilCaughtUp();
      await store.appendToStream('a-1', [opened()]);
      await runner.waitUntilCaughtUp();
      // The runner records the lag right after the batch that let the wait resolve: let it finish.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await runner.stop();
    }
    expect(await kit.value('keel.projection.lag', { 'keel.projection.name': 'balances' })).toBe(0);
    expect(await kit.value('keel.projection.events', { 'keel.outcome': 'processed' })).toBe(3);
    const batches = kit.spans().filter((span) => span.name === 'projection balances');
    // How the live subscription groups events into batches depends on read-ahead; the last ends at 3.
    expect(batches.at(-1)!.attributes['keel.position.last']).toBe(3);
  });

  it('reports a batch split, a dead letter and a skipped event on the batch span', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a-1', [opened(), opened(), opened()]);
    const seen: RecordedEvent[] = [];
    const deadLetters = new InMemoryDeadLetterStore();
    const projection = countingProjection(seen, (event) => event.globalPosition === 2);
    await new ProjectionRunner(store, projection, { deadLetters, onFailure: 'skip' }).catchUp();
    const batch = kit.span('projection balances');
    expect(eventNames(batch)).toEqual(['batch split', 'dead_letter', 'skipped']);
    expect(batch.events[1]!.attributes).toMatchObject({ 'keel.position': 2, 'error.type': 'RangeError' });
    expect(await kit.value('keel.projection.dead_letters')).toBe(1);
    expect(await kit.value('keel.projection.events', { 'keel.outcome': 'skipped' })).toBe(1);
    expect(await kit.value('keel.projection.events', { 'keel.outcome': 'processed' })).toBe(2);
  });

  it('fails the batch span when a poison event stops the projection', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a-1', [opened()]);
    const runner = new ProjectionRunner(
      store,
      countingProjection([], () => true),
    );
    await expect(runner.catchUp()).rejects.toThrow();
    const batch = kit.span('projection balances');
    expect(batch.status.code).toBe(SpanStatusCode.ERROR);
    expect(batch.attributes['error.type']).toBe('PROJECTION_FAILED');
    expect(await kit.value('keel.projection.events', { 'keel.outcome': 'failed' })).toBe(1);
  });

  it('traces a rebuild around its batches and reports its progress', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a-1', [opened(), opened(), opened(), opened()]);
    const runner = new ProjectionRunner(store, countingProjection([]), { batchSize: 2 });
    await runner.catchUp();
    kit.resetSpans();
    const progress: number[] = [];
    await runner.rebuild({ onProgress: ({ position }) => progress.push(position) });
    const rebuild = kit.span('rebuild balances');
    expect(rebuild.attributes['keel.position']).toBe(4);
    expect(names(kit.childrenOf(rebuild)).filter((name) => name === 'projection balances')).toHaveLength(2);
    expect(progress.at(-1)).toBe(4);
    expect(await kit.value('keel.projection.rebuild.progress')).toBe(1);
  });
});
