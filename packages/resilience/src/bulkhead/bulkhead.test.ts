import { getEventListeners } from 'node:events';
import { isValidationError, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulkheadRejectedError } from '../errors/errors.js';
import type { BulkheadRejectedError } from '../errors/errors.js';
import { bulkhead } from './bulkhead.js';

function gate(): { promise: Promise<string>; open: () => void; fail: () => void } {
  let open!: () => void;
  let fail!: () => void;
  const promise = new Promise<string>((resolve, reject) => {
    open = () => resolve('done');
    fail = () => reject(new Error('failed'));
  });
  // A gate whose call was refused is never awaited; failing it must not be an unhandled rejection.
  promise.catch(() => {});
  return { promise, open, fail };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('bulkhead', () => {
  it('runs up to maxConcurrent calls and rejects the next when there is no queue', async () => {
    const pool = bulkhead(2);
    const gates = [gate(), gate()];
    const running = gates.map((g) => pool.execute(() => g.promise));
    const error = await pool.execute(() => 'x').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect((error as BulkheadRejectedError).reason).toBe('full');
    expect(pool.executing).toBe(2);
    gates.forEach((g) => g.open());
    await Promise.all(running);
    expect(pool.executing).toBe(0);
  });

  it('queues the overflow and runs it in order as slots free up', async () => {
    const pool = bulkhead(1, { maxQueue: 2 });
    const first = gate();
    const order: string[] = [];
    const a = pool.execute(() => first.promise.then(() => order.push('a')));
    const b = pool.execute(() => order.push('b'));
    const c = pool.execute(() => order.push('c'));
    expect(pool.queued).toBe(2);
    await expect(pool.execute(() => 'd')).rejects.toThrow(/bulkhead is full \(1 running, 2 queued\)/);
    first.open();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(pool.executing).toBe(0);
    expect(pool.queued).toBe(0);
  });

  it('frees the slot when a call fails', async () => {
    const pool = bulkhead(1);
    await pool.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await expect(pool.execute(() => 'next')).resolves.toBe('next');
  });

  it('rejects a call that waited longer than the queue timeout, leaving no timer', async () => {
    const clock = new ManualClock();
    const pool = bulkhead(1, { maxQueue: 1, queueTimeout: 100, clock });
    const busy = gate();
    const running = pool.execute(() => busy.promise);
    const waiting = pool.execute(() => 'never').catch((e: unknown) => e);
    await clock.tickAsync(100);
    const error = (await waiting) as BulkheadRejectedError;
    expect(error.reason).toBe('queue-timeout');
    expect(error.message).toMatch(/waited 100 ms/);
    expect(pool.queued).toBe(0);
    busy.open();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('a granted waiter cancels its queue timer', async () => {
    const clock = new ManualClock();
    const pool = bulkhead(1, { maxQueue: 1, queueTimeout: 100, clock });
    const busy = gate();
    const running = pool.execute(() => busy.promise);
    const waiting = pool.execute(() => 'ran');
    busy.open();
    await running;
    await expect(waiting).resolves.toBe('ran');
    expect(clock.pendingTimers).toBe(0);
  });

  it('hangs one listener on a signal shared by many queued callers, and none once they ran', async () => {
    const pool = bulkhead(1, { maxQueue: 30 });
    const busy = gate();
    const running = pool.execute(() => busy.promise);
    const controller = new AbortController();
    const waiting = Array.from({ length: 30 }, (_, i) => pool.execute(() => i, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    busy.open();
    await running;
    await expect(Promise.all(waiting)).resolves.toHaveLength(30);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an aborted waiter leaves the queue at once without its listener', async () => {
    const pool = bulkhead(1, { maxQueue: 1 });
    const busy = gate();
    const running = pool.execute(() => busy.promise);
    const controller = new AbortController();
    const waiting = pool.execute(() => 'never', controller.signal);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(pool.queued).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    busy.open();
    await running;
    expect(pool.executing).toBe(0);
  });

  it('emits onReject with the reason', async () => {
    const pool = bulkhead(1);
    const reasons: string[] = [];
    pool.onReject(({ reason }) => reasons.push(reason));
    const busy = gate();
    const running = pool.execute(() => busy.promise);
    await pool.execute(() => 1).catch(() => {});
    busy.open();
    await running;
    expect(reasons).toEqual(['full']);
  });

  it('property: never runs more than its limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.constantFrom('call', 'finish', 'fail', 'abort'), { minLength: 1, maxLength: 50 }),
        async (limit, maxQueue, steps) => {
          const pool = bulkhead(limit, { maxQueue });
          let active = 0;
          let peak = 0;
          const open: { gate: ReturnType<typeof gate>; controller: AbortController }[] = [];
          const all: Promise<unknown>[] = [];
          for (const step of steps) {
            if (step === 'call') {
              const g = gate();
              const controller = new AbortController();
              open.push({ gate: g, controller });
              all.push(
                pool
                  .execute(async () => {
                    active++;
                    peak = Math.max(peak, active);
                    try {
                      return await g.promise;
                    } finally {
                      active--;
                    }
                  }, controller.signal)
                  .catch(() => {}),
              );
            } else {
              const next = open.shift();
              if (step === 'finish') next?.gate.open();
              if (step === 'fail') next?.gate.fail();
              if (step === 'abort') {
                next?.controller.abort();
                next?.gate.fail();
              }
            }
            await flush();
          }
          for (const rest of open) rest.gate.open();
          await Promise.all(all);
          return peak <= limit && pool.executing === 0 && pool.queued === 0;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects a zero capacity and a negative queue at construction', () => {
    let error: unknown;
    try {
      bulkhead(0, { maxQueue: -1, queueTimeout: -1 });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /maxConcurrent: must be an integer >= 1 \(got 0\).*maxQueue.*queueTimeout/,
    );
  });
});
