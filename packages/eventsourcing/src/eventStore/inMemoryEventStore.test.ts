import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { collect } from './collect.js';
import { NO_STREAM } from './expectedVersion.js';
import { InMemoryEventStore } from './inMemoryEventStore.js';
import { MAX_STREAM_NAME_LENGTH } from './names.js';
import type { InMemoryTransaction } from './inMemoryEventStore.js';
import type { InlineProjection } from './eventStore.js';

describe('InMemoryEventStore', () => {
  it('stamps events with the clock time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24));
    const store = new InMemoryEventStore({ clock });
    const { events } = await store.appendToStream('s', [{ type: 'T', data: {} }]);
    expect(events[0]!.recordedAt).toEqual(new Date(Date.UTC(2026, 10, 24)));
  });

  it('uses a core message id as the event id, so a re-sent domain event is idempotent', async () => {
    const store = new InMemoryEventStore();
    const event = { type: 'T', data: {}, metadata: { messageId: '0190a8a0-0000-7000-8000-0000000000aa' } };
    await store.appendToStream('s', [event], { expectedVersion: NO_STREAM });
    const again = await store.appendToStream('s', [event], { expectedVersion: NO_STREAM });
    expect(again.appended).toBe(false);
    expect((await collect(store.readStream('s')))[0]!.eventId).toBe('0190a8a0-0000-7000-8000-0000000000aa');
  });

  it('rejects an empty stream name and a negative expected version with a ValidationError', async () => {
    const store = new InMemoryEventStore();
    const error = await store
      .appendToStream('', [{ type: 'T', data: {} }], { expectedVersion: -1 })
      .catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(
        `streamName: must be a non-empty string of at most ${MAX_STREAM_NAME_LENGTH} characters.*expectedVersion: must be an integer from 0 to 2\\^53 - 1`,
      ),
    );
  });

  it('rejects a page size below 1 at construction', () => {
    expect(() => new InMemoryEventStore({ pageSize: 0 })).toThrow(
      /pageSize: must be an integer >= 1 \(got 0\)/,
    );
  });

  it('runs inline projections with the events before they are committed', async () => {
    const counts = new Map<string, number>();
    const projection: InlineProjection<InMemoryTransaction> = {
      name: 'counts',
      apply: (events) => {
        for (const event of events) counts.set(event.streamName, (counts.get(event.streamName) ?? 0) + 1);
      },
    };
    const store = new InMemoryEventStore({ inlineProjections: [projection] });
    await store.appendToStream('a', [
      { type: 'T', data: {} },
      { type: 'T', data: {} },
    ]);
    expect(counts.get('a')).toBe(2);
  });

  it('appends nothing and rolls back earlier inline writes when an inline projection throws', async () => {
    const rows: string[] = [];
    const first: InlineProjection<InMemoryTransaction> = {
      name: 'rows',
      apply: (events, { transaction }) => {
        rows.push(...events.map((event) => event.eventId));
        transaction.onRollback(() => rows.splice(rows.length - events.length, events.length));
      },
    };
    const failing: InlineProjection<InMemoryTransaction> = {
      name: 'failing',
      apply: () => {
        throw new Error('read model rejected it');
      },
    };
    const store = new InMemoryEventStore({ inlineProjections: [first, failing] });
    await expect(store.appendToStream('a', [{ type: 'T', data: {} }])).rejects.toThrow(
      'read model rejected it',
    );
    expect(rows).toEqual([]);
    expect(await store.headPosition()).toBe(0);
  });

  it('serializes appends while async inline projections run, so only one of two racing appends wins', async () => {
    const slow: InlineProjection<InMemoryTransaction> = {
      name: 'slow',
      apply: () => new Promise((r) => setImmediate(r)),
    };
    const store = new InMemoryEventStore({ inlineProjections: [slow] });
    const outcomes = await Promise.allSettled([
      store.appendToStream('a', [{ type: 'T', data: 1 }], { expectedVersion: NO_STREAM }),
      store.appendToStream('a', [{ type: 'T', data: 2 }], { expectedVersion: NO_STREAM }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(await store.streamVersion('a')).toBe(1);
  });

  it('never lets recordedAt decrease along the global order, even when the clock steps back', async () => {
    let now = Date.UTC(2026, 0, 2);
    const clock = Object.assign(Object.create(new ManualClock()) as ManualClock, { now: () => now });
    const store = new InMemoryEventStore({ clock });
    await store.appendToStream('a', [{ type: 'T', data: {} }]);
    now -= 60_000;
    await store.appendToStream('b', [{ type: 'T', data: {} }]);
    now += 120_000;
    await store.appendToStream('c', [{ type: 'T', data: {} }]);
    const stamps = (await collect(store.readAll())).map((event) => event.recordedAt.getTime());
    expect(stamps).toEqual([Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 2) + 60_000]);
  });

  it('rejects with the abort reason when aborted while waiting for its turn, appending nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: InlineProjection<InMemoryTransaction> = { name: 'slow', apply: () => gate };
    const store = new InMemoryEventStore({ inlineProjections: [slow] });
    const first = store.appendToStream('a', [{ type: 'T', data: 1 }]);
    const controller = new AbortController();
    const second = store.appendToStream('a', [{ type: 'T', data: 2 }], { signal: controller.signal });
    const reason = new Error('gave up');
    controller.abort(reason);
    release();
    await first;
    await expect(second).rejects.toBe(reason);
    expect(await store.streamVersion('a')).toBe(1);
  });

  it('hands inline projections copies, so they cannot change what is stored', async () => {
    const mutating: InlineProjection<InMemoryTransaction> = {
      name: 'mutating',
      apply: (events) => {
        (events[0]!.data as { n: number }).n = 99;
      },
    };
    const store = new InMemoryEventStore({ inlineProjections: [mutating] });
    await store.appendToStream('a', [{ type: 'T', data: { n: 1 } }]);
    expect((await collect(store.readStream('a')))[0]!.data).toEqual({ n: 1 });
  });

  it('refuses options of the wrong kind at construction, listing each', () => {
    const build = () =>
      new InMemoryEventStore({ clock: {} as never, pageSize: 1.5, inlineProjections: [{}] as never });
    expect(build).toThrow(/clock: must be a Clock.*pageSize: must be an integer >= 1.*inlineProjections/);
    expect(new InMemoryEventStore({ pageSize: undefined, clock: undefined })).toBeInstanceOf(
      InMemoryEventStore,
    );
  });
});
