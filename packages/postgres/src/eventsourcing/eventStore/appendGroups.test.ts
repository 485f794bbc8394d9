import { ManualClock } from '@keel/core';
import { NO_STREAM } from '@keel/eventsourcing';
import { describe, expect, it } from 'vitest';
import type { SqlExecutor, SqlQueryOptions } from '../../client/sqlClient.js';
import { SqlError } from '../../errors.js';
import type { AppendRequest } from './appendEvents.js';
import { AppendGroups, MAX_GROUP_EVENTS } from './appendGroups.js';
import { Announcer, NOTIFY_INTERVAL_MS } from './announcer.js';

const ONE = { name: 'keel_append_to_stream_t', text: 'one' };
const GROUP = { name: 'keel_append_to_streams_t', text: 'group' };

/**
 * A server that appends everything, or fails grouped calls with `groupFailure`; each call takes
 * `latencyMs` (0: one microtask).
 */
function fakeServer(groupFailure?: string, latencyMs = 0) {
  const sent: { kind: 'one' | 'group'; streams: string[] }[] = [];
  /** The channel each call was asked to notify, in the order of `sent`. */
  const channels: unknown[] = [];
  let position = 0;
  const answer = (events: number) => {
    const first = position + 1;
    position += events;
    return `appended ${events} ${first} 1000`;
  };
  const executor: SqlExecutor = {
    dialect: 'postgres',
    inTransaction: false,
    async query(_sql: string, params?: readonly unknown[], options?: SqlQueryOptions) {
      // Recorded when sent; answered a microtask or `latencyMs` later.
      const group = options?.name === GROUP.name;
      const streams = group ? (params![0] as string[]) : [params![0] as string];
      sent.push({ kind: group ? 'group' : 'one', streams });
      channels.push(params![group ? 10 : 8] ?? undefined);
      await (latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, latencyMs)) : Promise.resolve());
      if (group) {
        if (groupFailure !== undefined)
          throw new SqlError({ code: groupFailure, message: 'refused' }, 'group');
        const counts = params![3] as number[];
        return { rows: [{ r: counts.map(answer).join(',') }], rowCount: 1 } as never;
      }
      return { rows: [{ r: answer((params![3] as string[]).length) }], rowCount: 1 } as never;
    },
    exec: async () => undefined,
    transaction: () => Promise.reject(new Error('not used')),
  };
  return { executor, sent, channels };
}

/** An announcer on a manual clock whose NOTIFY statements of its own are counted. */
function announcing() {
  const clock = new ManualClock();
  const standalone: unknown[] = [];
  const executor = {
    query: async (_sql: string, params?: readonly unknown[]) => {
      standalone.push(params?.[0]);
      return { rows: [], rowCount: 0 };
    },
  } as unknown as SqlExecutor;
  return { clock, standalone, announcer: new Announcer(executor, 'ch', clock) };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function request(stream: string, events = 1): AppendRequest {
  return {
    table: 't.events',
    statement: ONE,
    streamName: stream,
    events: Array.from({ length: events }, () => ({ type: 'T', data: {} })),
    ids: Array.from({ length: events }, (_, n) => `${stream}-${n}`),
    data: Array.from({ length: events }, () => '{}'),
    metadata: Array.from({ length: events }, () => '{}'),
    expected: NO_STREAM,
    now: 1,
    notifyChannel: undefined,
  };
}

describe('AppendGroups', () => {
  it('sends an append at once while nothing runs, and shares the ones that wait among the calls', async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 2);
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((s) => groups.append(request(s), undefined)),
    );
    expect(sent).toEqual([
      { kind: 'one', streams: ['a'] },
      { kind: 'group', streams: ['b', 'c'] },
      { kind: 'group', streams: ['d', 'e'] },
    ]);
    expect(results.map((result) => result.lastPosition).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it.each(['23505', '40001', '55P03', '40P01', '2200H'])(
    'sends a group that failed with %s again append by append',
    async (code) => {
      const { executor, sent } = fakeServer(code);
      const groups = new AppendGroups(executor, GROUP, 1);
      const results = await Promise.all(['a', 'b', 'c'].map((s) => groups.append(request(s), undefined)));
      expect(sent.map((call) => call.kind)).toEqual(['one', 'group', 'one', 'one']);
      expect(results.every((result) => result.appended)).toBe(true);
    },
  );

  it('rejects every append of a group with a failure that is not a clash, and goes on', async () => {
    const { executor, sent } = fakeServer('08006');
    const groups = new AppendGroups(executor, GROUP, 1);
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((s) => groups.append(request(s), undefined)),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    const [, b, c] = outcomes as PromiseRejectedResult[];
    expect(b!.reason).toBeInstanceOf(SqlError);
    expect(c!.reason).toBe(b!.reason);
    expect((await groups.append(request('d'), undefined)).appended).toBe(true);
    expect(sent.map((call) => call.kind)).toEqual(['one', 'group', 'one']);
  });

  it(`keeps a group within ${MAX_GROUP_EVENTS} events; a larger append goes alone`, async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 1);
    await Promise.all([
      groups.append(request('first'), undefined),
      groups.append(request('a', 600), undefined),
      groups.append(request('b', 400), undefined),
      groups.append(request('c', 1), undefined),
      groups.append(request('big', MAX_GROUP_EVENTS + 500), undefined),
      groups.append(request('d', 1), undefined),
    ]);
    expect(sent).toEqual([
      { kind: 'one', streams: ['first'] },
      { kind: 'group', streams: ['a', 'b'] },
      { kind: 'one', streams: ['c'] },
      { kind: 'one', streams: ['big'] },
      { kind: 'one', streams: ['d'] },
    ]);
  });

  it('puts a second append to a stream, or one sharing an event id, in a later call, after the first', async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 1);
    const shared = { ...request('c'), ids: ['a-0'] };
    await Promise.all([
      groups.append(request('first'), undefined),
      groups.append(request('a'), undefined),
      groups.append(request('b'), undefined),
      groups.append(request('a'), undefined),
      groups.append(request('d'), undefined),
      groups.append(shared, undefined),
    ]);
    expect(sent.map((call) => call.streams)).toEqual([['first'], ['a', 'b'], ['a', 'd'], ['c']]);
  });

  it('drops an aborted waiting append without sending it, and rejects with the reason', async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 1);
    const controller = new AbortController();
    const first = groups.append(request('first'), undefined);
    const aborted = groups.append(request('aborted'), controller.signal);
    const kept = groups.append(request('kept'), undefined);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await Promise.all([first, kept]);
    expect(sent.flatMap((call) => call.streams)).toEqual(['first', 'kept']);
  });

  it('ignores an abort once the append was sent', async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 1);
    const controller = new AbortController();
    const first = groups.append(request('first'), undefined);
    const sentOne = groups.append(request('sent'), controller.signal);
    await first;
    await new Promise((resolve) => setImmediate(resolve)); // it is sent at the next turn
    expect(sent.flatMap((call) => call.streams)).toEqual(['first', 'sent']);
    controller.abort(new Error('too late'));
    expect((await sentOne).appended).toBe(true);
  });

  it('sends the append of a lone writer in the same turn, without waiting for the event loop', async () => {
    const { executor, sent } = fakeServer();
    const groups = new AppendGroups(executor, GROUP, 2);
    for (let n = 0; n < 3; n++) {
      const appending = groups.append(request(`s-${n}`), undefined);
      expect(sent).toHaveLength(n + 1); // sent before append() returned
      await appending;
    }
    expect(sent.map((call) => call.kind)).toEqual(['one', 'one', 'one']);
  });

  it('settles busy writers into calls of equal size, not one writer alone and the rest together', async () => {
    const { executor, sent } = fakeServer(undefined, 1);
    const groups = new AppendGroups(executor, GROUP, 2);
    const writers = 8;
    const each = 30;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let n = 0; n < each; n++) await groups.append(request(`w${w}-${n}`), undefined);
      }),
    );
    const sizes = sent.map((call) => call.streams.length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(writers * each);
    // After the first calls, every call carries half of the writers.
    const settled = sizes.slice(4, -4);
    expect(settled.length).toBeGreaterThan(0);
    expect(
      settled.every((size) => size === writers / 2),
      sizes.join(' '),
    ).toBe(true);
  });

  it('holds a lone waiting append for the running call only while that call has more than its share', async () => {
    const { executor, sent } = fakeServer(undefined, 5);
    const groups = new AppendGroups(executor, GROUP, 2);
    const first = groups.append(request('first'), undefined); // alone at once
    const second = groups.append(request('second'), undefined); // a share of 1 of 2: sent next turn
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.flatMap((call) => call.streams)).toEqual(['first', 'second']);
    await Promise.all([first, second]);
  });

  describe('with an announcer', () => {
    it('lets a group carry the notification in its own call when one is due', async () => {
      const { executor, sent, channels } = fakeServer();
      const { clock, standalone, announcer } = announcing();
      const groups = new AppendGroups(executor, GROUP, 1, announcer);
      const first = groups.append(request('first'), undefined); // carries the first notification
      const rest = ['a', 'b', 'c'].map((s) => groups.append(request(s), undefined));
      clock.advance(NOTIFY_INTERVAL_MS); // the group leaves an interval later: it carries the next
      await Promise.all([first, ...rest]);
      expect(sent.map((call) => call.kind)).toEqual(['one', 'group']);
      expect(channels).toEqual(['ch', 'ch']);
      await clock.tickAsync(NOTIFY_INTERVAL_MS * 5);
      await settle();
      expect(standalone).toEqual([]);
    });

    it('announces a group that committed without carrying it: a NOTIFY of its own follows', async () => {
      const { executor, sent, channels } = fakeServer();
      const { clock, standalone, announcer } = announcing();
      const groups = new AppendGroups(executor, GROUP, 1, announcer);
      await Promise.all(['first', 'a', 'b'].map((s) => groups.append(request(s), undefined)));
      expect(sent.map((call) => call.kind)).toEqual(['one', 'group']);
      expect(channels).toEqual(['ch', undefined]); // within the interval of the first
      await settle();
      expect(standalone).toEqual([]);
      await clock.tickAsync(NOTIFY_INTERVAL_MS);
      await settle();
      expect(standalone).toEqual(['ch']);
    });

    it('passes the notification on when a group carrying it commits nothing and goes append by append', async () => {
      const { executor, sent, channels } = fakeServer('23505');
      const { clock, standalone, announcer } = announcing();
      const groups = new AppendGroups(executor, GROUP, 1, announcer);
      const first = groups.append(request('first'), undefined);
      const rest = ['a', 'b'].map((s) => groups.append(request(s), undefined));
      clock.advance(NOTIFY_INTERVAL_MS);
      await Promise.all([first, ...rest]);
      expect(sent.map((call) => call.kind)).toEqual(['one', 'group', 'one', 'one']);
      // The group notified nobody, so the first append after it carries the notification.
      expect(channels).toEqual(['ch', 'ch', 'ch', undefined]);
      await settle();
      expect(standalone).toEqual([]);
      await clock.tickAsync(NOTIFY_INTERVAL_MS); // the last append committed without one
      await settle();
      expect(standalone).toEqual(['ch']);
    });
  });
});
