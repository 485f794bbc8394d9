import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isCacheClosedError } from './cachingErrors.js';
import { MemoryCacheStore } from './memoryCacheStore.js';
import { createWriteBehind } from './writeBehind.js';
import type { WriteBehindOptions, WriteOperation } from './writeBehind.js';

type Batch = readonly WriteOperation<string, number>[];

function setup(
  options: WriteBehindOptions<string, number> = {},
  flushImpl?: (batch: Batch) => Promise<void>,
) {
  const clock = new ManualClock();
  const cache = new MemoryCacheStore<string, number>({ clock });
  const batches: Batch[] = [];
  const flush = vi.fn(async (batch: Batch) => {
    batches.push(batch);
    await flushImpl?.(batch);
  });
  const writes = createWriteBehind(cache, flush, { clock, flushInterval: 1_000, ...options });
  return { clock, cache, flush, batches, writes };
}

const summary = (batch: Batch) =>
  batch.map((op) => (op.type === 'set' ? `${op.key}=${op.value}` : `-${op.key}`));

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Ticks the manual clock until `promise` settles, so timers it waits on fire. */
async function driveUntilSettled(clock: ManualClock, promise: Promise<unknown>): Promise<void> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let round = 0; !settled && round < 10_000; round++) await clock.tickAsync(50);
}

describe('createWriteBehind', () => {
  it('updates the cache at once and the source only after flushInterval', async () => {
    const { clock, cache, flush, writes } = setup();
    await writes.set('a', 1);
    expect(await cache.get('a')).toBe(1);
    await clock.tickAsync(999);
    expect(flush).not.toHaveBeenCalled();
    await clock.tickAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('coalesces writes of one key into its latest write', async () => {
    const { clock, batches, writes } = setup();
    await writes.set('a', 1);
    await writes.set('b', 1);
    await writes.set('a', 2);
    await writes.delete('b');
    await clock.tickAsync(1_000);
    expect(batches.map(summary)).toEqual([['a=2', '-b']]);
    expect(writes.pending).toBe(0);
  });

  it('flushes as soon as maxBatchSize keys are pending, in batches of at most that size', async () => {
    const { clock, batches, writes } = setup({ maxBatchSize: 2 });
    await writes.set('a', 1);
    await writes.set('b', 1);
    await clock.tickAsync(0);
    expect(batches.map(summary)).toEqual([['a=1', 'b=1']]);
    for (const key of ['c', 'd', 'e']) await writes.set(key, 1);
    await clock.tickAsync(1_000);
    expect(batches.map(summary)).toEqual([['a=1', 'b=1'], ['c=1', 'd=1'], ['e=1']]);
  });

  it('retries a failed batch with exponential backoff on the clock', async () => {
    let failures = 2;
    const { clock, flush, writes } = setup({ retryDelay: 100 }, async () => {
      if (failures-- > 0) throw new Error('database down');
    });
    await writes.set('a', 1);
    await clock.tickAsync(1_000);
    expect(flush).toHaveBeenCalledTimes(1);
    await clock.tickAsync(99);
    expect(flush).toHaveBeenCalledTimes(1);
    await clock.tickAsync(1);
    expect(flush).toHaveBeenCalledTimes(2);
    await clock.tickAsync(199);
    expect(flush).toHaveBeenCalledTimes(2);
    await clock.tickAsync(1);
    expect(flush).toHaveBeenCalledTimes(3);
    expect(writes.pending).toBe(0);
  });

  it('lets a newer write of a key that arrives during a failed flush win over the failed one', async () => {
    const gate = deferred();
    let first = true;
    const { clock, batches, writes } = setup({ retryDelay: 10 }, async () => {
      if (first) {
        first = false;
        await gate.promise;
      }
    });
    await writes.set('a', 1);
    await clock.tickAsync(1_000);
    await writes.set('a', 2);
    gate.reject(new Error('timeout'));
    await clock.tickAsync(10);
    expect(batches.map(summary)).toEqual([['a=1'], ['a=2']]);
    expect(writes.pending).toBe(0);
  });

  it('reports each failure to onFlushError with the batch and attempt number', async () => {
    const onFlushError = vi.fn();
    const { clock, writes } = setup({ onFlushError, retryDelay: 10 }, async () => {
      throw new Error('nope');
    });
    await writes.set('a', 1);
    await clock.tickAsync(1_010);
    expect(
      onFlushError.mock.calls.map((call) => [(call[0] as Error).message, summary(call[1] as Batch), call[2]]),
    ).toEqual([
      ['nope', ['a=1'], 1],
      ['nope', ['a=1'], 2],
    ]);
  });

  it('flush() sends everything pending now and rejects with the error if a batch fails', async () => {
    let fail = true;
    const { batches, writes } = setup({}, async () => {
      if (fail) throw new Error('first try fails');
    });
    await writes.set('a', 1);
    await expect(writes.flush()).rejects.toThrow('first try fails');
    expect(writes.pending).toBe(1);
    fail = false;
    await writes.flush();
    expect(batches.map(summary)).toEqual([['a=1'], ['a=1']]);
    expect(writes.pending).toBe(0);
  });

  it('retries in the background after a manual flush failed', async () => {
    let fail = true;
    const { clock, writes } = setup({ retryDelay: 100, flushInterval: 60_000 }, async () => {
      if (fail) throw new Error('down');
    });
    await writes.set('a', 1);
    await expect(writes.flush()).rejects.toThrow('down');
    fail = false;
    await clock.tickAsync(100);
    expect(writes.pending).toBe(0);
  });

  it('close() flushes everything, retrying through failures, then refuses new writes', async () => {
    let failures = 3;
    const { clock, batches, writes } = setup({ retryDelay: 100 }, async () => {
      if (failures-- > 0) throw new Error('still down');
    });
    await writes.set('a', 1);
    await writes.set('b', 2);
    const closing = writes.close();
    await driveUntilSettled(clock, closing);
    await closing;
    expect(batches.at(-1)!.map((op) => op.key)).toEqual(['a', 'b']);
    expect(writes.pending).toBe(0);
    const late = await writes.set('c', 3).catch((error: unknown) => error);
    expect(isCacheClosedError(late)).toBe(true);
  });

  it('close() stops on abort with the reason, keeping the unflushed writes', async () => {
    const { clock, writes } = setup({ retryDelay: 100 }, async () => {
      throw new Error('down for good');
    });
    await writes.set('a', 1);
    const controller = new AbortController();
    const closing = writes.close({ signal: controller.signal });
    await clock.tickAsync(50);
    controller.abort(new Error('shutdown deadline'));
    await expect(closing).rejects.toThrow('shutdown deadline');
    expect(writes.pendingWrite('a')).toMatchObject({ type: 'set', value: 1 });
  });

  it('a later close() flushes with a fresh signal after an earlier close() was aborted', async () => {
    let down = true;
    const signals: AbortSignal[] = [];
    const flush = async (_batch: Batch, context: { signal: AbortSignal }) => {
      signals.push(context.signal);
      if (down) throw new Error('down');
    };
    const clock = new ManualClock();
    const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), flush, {
      clock,
      retryDelay: 100,
    });
    await writes.set('a', 1);
    const controller = new AbortController();
    const first = writes.close({ signal: controller.signal });
    await clock.tickAsync(10);
    controller.abort(new Error('deadline'));
    await expect(first).rejects.toThrow('deadline');
    down = false;
    await writes.close();
    expect(signals.at(-1)!.aborted).toBe(false);
    expect(writes.pending).toBe(0);
  });

  it('await using closes and flushes on scope exit', async () => {
    const { batches, writes } = setup();
    {
      await using scoped = writes;
      await scoped.set('a', 1);
    }
    expect(batches.map(summary)).toEqual([['a=1']]);
    expect(writes.closed).toBe(true);
  });

  it('rejects options out of range', () => {
    expect(() => setup({ maxBatchSize: 0, flushInterval: -1 })).toThrow(
      /flushInterval.*maxBatchSize|maxBatchSize.*flushInterval/s,
    );
  });

  it('never loses or reorders a key’s writes under injected flush failures', async () => {
    const step = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant('write' as const),
          key: fc.constantFrom('a', 'b', 'c', 'd'),
        }),
        weight: 3,
      },
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 400 }) }),
    );
    const outcome = fc.constantFrom('ok', 'fail-before', 'fail-after');
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 60 }),
        fc.array(outcome, { maxLength: 40 }),
        async (steps, outcomes) => {
          const clock = new ManualClock();
          const sink = new Map<string, number>();
          const history = new Map<string, number[]>();
          let call = 0;
          const apply = (batch: Batch) => {
            for (const op of batch) {
              if (op.type !== 'set') continue;
              sink.set(op.key, op.value);
              history.set(op.key, [...(history.get(op.key) ?? []), op.value]);
            }
          };
          const flush = async (batch: Batch) => {
            await clock.sleep(30); // flushes take time, so writes arrive during them
            const result = outcomes[call++] ?? 'ok';
            if (result === 'fail-before') throw new Error('rejected');
            apply(batch);
            if (result === 'fail-after') throw new Error('applied but the reply was lost');
          };
          const cache = new MemoryCacheStore<string, number>({ clock });
          const writes = createWriteBehind(cache, flush, {
            clock,
            flushInterval: 100,
            maxBatchSize: 3,
            retryDelay: 20,
          });
          const latest = new Map<string, number>();
          let value = 0;
          for (const action of steps) {
            if (action.kind === 'tick') await clock.tickAsync(action.ms);
            else {
              latest.set(action.key, ++value);
              await writes.set(action.key, value);
            }
          }
          const closing = writes.close();
          await driveUntilSettled(clock, closing);
          await closing;
          expect(sink).toEqual(latest);
          for (const values of history.values()) {
            expect(values).toEqual([...values].sort((left, right) => left - right));
          }
        },
      ),
      { seed: 99, numRuns: 150 },
    );
  });
});

/**
 * A slow backing store that fails its first `failures` flushes: each flush takes `latencyMs` on
 * the manual clock, and what it applied is kept per key with every value it ever received.
 */
function slowFlakyStore(clock: ManualClock, options: { latencyMs: number; failures: number }) {
  const applied = new Map<string, number[]>();
  let failuresLeft = options.failures;
  let calls = 0;
  const flush = async (batch: Batch) => {
    calls++;
    await clock.sleep(options.latencyMs);
    if (failuresLeft-- > 0) throw new Error(`store unavailable (${failuresLeft + 1} failures left)`);
    for (const op of batch)
      if (op.type === 'set') applied.set(op.key, [...(applied.get(op.key) ?? []), op.value]);
  };
  return { flush, applied, calls: () => calls };
}

describe('createWriteBehind under concurrent flush() and close()', () => {
  it('finishes two concurrent flush() calls, each batch sent once', async () => {
    const clock = new ManualClock();
    const store = slowFlakyStore(clock, { latencyMs: 50, failures: 0 });
    const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), store.flush, {
      clock,
      flushInterval: 60_000,
      maxBatchSize: 2,
    });
    for (const [index, key] of ['a', 'b', 'c', 'd', 'e'].entries()) await writes.set(key, index);
    const both = Promise.all([writes.flush(), writes.flush()]);
    await driveUntilSettled(clock, both);
    await both;
    expect(Object.fromEntries(store.applied)).toEqual({ a: [0], b: [1], c: [2], d: [3], e: [4] });
    expect(store.calls()).toBe(3);
    expect(writes.pending).toBe(0);
  });

  it('finishes close() called while a flush() is in flight, and the flush too', async () => {
    const clock = new ManualClock();
    const store = slowFlakyStore(clock, { latencyMs: 100, failures: 0 });
    const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), store.flush, {
      clock,
      maxBatchSize: 1,
    });
    await writes.set('a', 1);
    await writes.set('b', 2);
    const flushing = writes.flush();
    await writes.set('c', 3);
    const closing = writes.close();
    const both = Promise.all([flushing, closing]);
    await driveUntilSettled(clock, both);
    await both;
    expect(Object.fromEntries(store.applied)).toEqual({ a: [1], b: [2], c: [3] });
  });

  it('finishes close() called during a periodic flush, persisting writes accepted meanwhile', async () => {
    const clock = new ManualClock();
    const store = slowFlakyStore(clock, { latencyMs: 100, failures: 0 });
    const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), store.flush, {
      clock,
      flushInterval: 1_000,
    });
    await writes.set('a', 1);
    await clock.tickAsync(1_000); // the periodic flush of a=1 is now in flight
    expect(store.calls()).toBe(1);
    await writes.set('b', 2);
    await writes.set('a', 3);
    const closing = writes.close();
    await driveUntilSettled(clock, closing);
    await closing;
    expect(Object.fromEntries(store.applied)).toEqual({ a: [1, 3], b: [2] });
    expect(writes.pending).toBe(0);
  });

  it('finishes flush() and close() together on a slow store that fails, then recovers, losing no accepted write', async () => {
    const clock = new ManualClock();
    const store = slowFlakyStore(clock, { latencyMs: 40, failures: 3 });
    const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), store.flush, {
      clock,
      flushInterval: 200,
      maxBatchSize: 3,
      retryDelay: 25,
    });
    const accepted = new Map<string, number>();
    for (let value = 1; value <= 10; value++) {
      const key = `k${value % 4}`;
      await writes.set(key, value);
      accepted.set(key, value);
    }
    await clock.tickAsync(200); // a periodic flush is in flight and will fail
    const flushing = writes.flush().then(
      () => 'flushed',
      (error: Error) => error.message,
    );
    await writes.set('late', 99);
    accepted.set('late', 99);
    const closing = writes.close();
    const secondClose = writes.close();
    const all = Promise.all([flushing, closing, secondClose]);
    await driveUntilSettled(clock, all);
    const [flushOutcome] = await all;
    expect(flushOutcome).toMatch(/flushed|store unavailable/);
    for (const [key, value] of accepted) expect(store.applied.get(key)?.at(-1)).toBe(value);
    expect(writes.pending).toBe(0);
    await expect(writes.flush()).resolves.toBeUndefined();
  });

  it('never loses an accepted write whatever flush(), close() and the timer do at once', async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), key: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('flush' as const) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 150 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 3, maxLength: 40 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        async (actions, failures, closers) => {
          const clock = new ManualClock();
          const store = slowFlakyStore(clock, { latencyMs: 30, failures });
          const writes = createWriteBehind(new MemoryCacheStore<string, number>({ clock }), store.flush, {
            clock,
            flushInterval: 100,
            maxBatchSize: 2,
            retryDelay: 20,
          });
          const latest = new Map<string, number>();
          const flushes: Promise<unknown>[] = [];
          let value = 0;
          for (const step of actions) {
            if (step.kind === 'write') {
              latest.set(step.key, ++value);
              await writes.set(step.key, value);
            } else if (step.kind === 'flush') flushes.push(writes.flush().catch(() => undefined));
            else await clock.tickAsync(step.ms);
          }
          const closes = Array.from({ length: closers + 1 }, () => writes.close());
          const all = Promise.all([...flushes, ...closes]);
          await driveUntilSettled(clock, all);
          await all;
          for (const [key, last] of latest) expect(store.applied.get(key)?.at(-1)).toBe(last);
          expect(writes.pending).toBe(0);
        },
      ),
      { seed: 13, numRuns: 120 },
    );
  });
});
