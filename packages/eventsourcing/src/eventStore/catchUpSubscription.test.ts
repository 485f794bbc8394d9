import { describe, expect, it } from 'vitest';
import { catchUpSubscription } from './catchUpSubscription.js';
import type { AppendWatch, CatchUpSource } from './catchUpSubscription.js';
import type { RecordedEvent } from './recordedEvent.js';

/** A scripted store: a list of events, and hooks that append at chosen moments. */
function scriptedSource(initial: number) {
  const events: RecordedEvent[] = [];
  const watchers = new Set<() => void>();
  const append = (): void => {
    const position = events.length + 1;
    events.push({
      streamName: 's',
      streamVersion: position,
      globalPosition: position,
      eventId: `e-${position}`,
      type: 'T',
      data: {},
      metadata: {},
      recordedAt: new Date(0),
    });
    for (const wake of [...watchers]) wake();
  };
  for (let index = 0; index < initial; index++) append();
  const hooks = { beforeRead: (): void => {}, afterRead: (): void => {} };
  const source: CatchUpSource = {
    async readPage(from, limit) {
      hooks.beforeRead();
      const page = events.slice(from - 1, from - 1 + limit);
      hooks.afterRead();
      return page;
    },
    cursorOf: (event) => event.globalPosition,
    head: async () => events.length,
    watch(): AppendWatch {
      let fired = false;
      let wake = (): void => {};
      const onAppend = (): void => {
        fired = true;
        wake();
      };
      watchers.add(onAppend);
      return {
        wait: () => new Promise<void>((resolve) => (fired ? resolve() : (wake = resolve))),
        dispose: () => watchers.delete(onAppend),
      };
    },
  };
  return { source, append, hooks };
}

async function take(iterable: AsyncIterable<RecordedEvent>, count: number): Promise<number[]> {
  const positions: number[] = [];
  for await (const event of iterable) {
    positions.push(event.globalPosition);
    if (positions.length === count) break;
  }
  return positions;
}

describe('catchUpSubscription', () => {
  it('delivers an event appended between the head query and the page read exactly once', async () => {
    const { source, append, hooks } = scriptedSource(2);
    let appended = 0;
    hooks.beforeRead = () => {
      if (appended++ < 3) append();
    };
    expect(await take(catchUpSubscription(source, { from: 1, pageSize: 2 }), 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('delivers an event appended after an empty read and before the wait (the hand-over)', async () => {
    const { source, append, hooks } = scriptedSource(1);
    let reads = 0;
    hooks.afterRead = () => {
      // The second read finds nothing new; append right after it, before the subscription waits.
      if (++reads === 2) append();
    };
    expect(await take(catchUpSubscription(source, { from: 1, pageSize: 10 }), 2)).toEqual([1, 2]);
  });

  it('skips past filtered-out positions using the head so it reports the head as caught up', async () => {
    const { source } = scriptedSource(5);
    const filtered: CatchUpSource = { ...source, readPage: async () => [] };
    const caughtUp: number[] = [];
    const controller = new AbortController();
    const run = (async () => {
      for await (const _ of catchUpSubscription(filtered, {
        from: 1,
        pageSize: 10,
        signal: controller.signal,
        onCaughtUp: (position) => {
          caughtUp.push(position);
          controller.abort(new Error('stop'));
        },
      }));
    })();
    await expect(run).rejects.toThrow('stop');
    expect(caughtUp).toEqual([5]);
  });

  it('releases its watch when the consumer breaks out', async () => {
    const { source } = scriptedSource(3);
    let open = 0;
    const counting: CatchUpSource = {
      ...source,
      watch: () => {
        open++;
        const inner = source.watch();
        return { wait: inner.wait, dispose: () => (open--, inner.dispose()) };
      },
    };
    await take(catchUpSubscription(counting, { from: 1, pageSize: 10 }), 2);
    expect(open).toBe(0);
  });
});
