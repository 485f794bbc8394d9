import { getEventListeners } from 'node:events';
import { isCancelledError, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryBudget } from '../retry/retryBudget.js';
import { hedge } from './hedge.js';
import type { HedgeContext } from './hedge.js';

/** An attempt that answers after `ms`, or fails when `fail` is set; records its signal. */
function replica(
  clock: ManualClock,
  plan: Record<number, { ms: number; fail?: boolean }>,
  signals: AbortSignal[] = [],
) {
  return async ({ attempt, signal }: HedgeContext): Promise<string> => {
    signals[attempt - 1] = signal;
    const step = plan[attempt] ?? { ms: 0 };
    await clock.sleep(step.ms, signal);
    if (step.fail === true) throw new Error(`attempt ${attempt} failed`);
    return `attempt ${attempt}`;
  };
}

describe('hedge', () => {
  it('returns the primary result when it answers before the delay, launching nothing else', async () => {
    const clock = new ManualClock();
    const policy = hedge({ clock, delay: 100 });
    const hedges: number[] = [];
    policy.onHedge(({ attempt }) => hedges.push(attempt));
    const done = policy.execute(replica(clock, { 1: { ms: 50 } }));
    await clock.tickAsync(50);
    await expect(done).resolves.toBe('attempt 1');
    expect(hedges).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('launches a hedge after the delay and takes the first success, aborting the loser', async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const done = hedge({ clock, delay: 100 }).execute(
      replica(clock, { 1: { ms: 1_000 }, 2: { ms: 20 } }, signals),
    );
    await clock.tickAsync(120);
    await expect(done).resolves.toBe('attempt 2');
    expect(signals[0]?.aborted).toBe(true);
    expect(isCancelledError(signals[0]?.reason)).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('launches up to maxHedges extra attempts, one per delay', async () => {
    const clock = new ManualClock();
    const policy = hedge({ clock, delay: 10, maxHedges: 2 });
    const hedges: number[] = [];
    policy.onHedge(({ attempt }) => hedges.push(attempt));
    const done = policy.execute(replica(clock, { 1: { ms: 500 }, 2: { ms: 500 }, 3: { ms: 500 } }));
    await clock.tickAsync(100);
    expect(hedges).toEqual([2, 3]);
    await clock.tickAsync(400);
    await expect(done).resolves.toBe('attempt 1');
  });

  it('launches every attempt at once with a zero delay', async () => {
    const clock = new ManualClock();
    const done = hedge({ clock, delay: 0, maxHedges: 2 }).execute(
      replica(clock, { 1: { ms: 30 }, 2: { ms: 20 }, 3: { ms: 10 } }),
    );
    await clock.tickAsync(10);
    await expect(done).resolves.toBe('attempt 3');
  });

  it('launches the next attempt at once when one fails', async () => {
    const clock = new ManualClock();
    const done = hedge({ clock, delay: 1_000 }).execute(
      replica(clock, { 1: { ms: 5, fail: true }, 2: { ms: 5 } }),
    );
    await clock.tickAsync(10);
    await expect(done).resolves.toBe('attempt 2');
  });

  it('rejects with the last error when every attempt failed', async () => {
    const clock = new ManualClock();
    const done = hedge({ clock, delay: 10, maxHedges: 1 }).execute(
      replica(clock, { 1: { ms: 50, fail: true }, 2: { ms: 60, fail: true } }),
    );
    const check = expect(done).rejects.toThrow('attempt 2 failed');
    await clock.tickAsync(100);
    await check;
  });

  it('an unhandled error ends the call at once and aborts the others', async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const done = hedge({ clock, delay: 10, handle: () => false }).execute(
      replica(clock, { 1: { ms: 1_000 }, 2: { ms: 5, fail: true } }, signals),
    );
    const check = expect(done).rejects.toThrow('attempt 2 failed');
    await clock.tickAsync(15);
    await check;
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a caller abort aborts every attempt and rejects with its reason, leaving no listener', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const done = hedge({ clock, delay: 10 }).execute(
      replica(clock, { 1: { ms: 500 }, 2: { ms: 500 } }, signals),
      controller.signal,
    );
    await clock.tickAsync(20);
    const reason = new Error('client left');
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
    // Every attempt learns why: the caller's own reason, not "another attempt finished first".
    expect(signals.map((signal) => signal.reason)).toEqual([reason, reason]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a caller abort before the first hedge reaches the primary attempt with the same reason', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const seen: unknown[] = [];
    const done = hedge({ clock, delay: 100, maxHedges: 3 }).execute(({ signal }) => {
      signal.addEventListener('abort', () => seen.push(signal.reason));
      return clock.sleep(1_000, signal);
    }, controller.signal);
    await clock.tickAsync(10);
    controller.abort('shutting down');
    await expect(done).rejects.toBe('shutting down');
    expect(seen).toEqual(['shutting down']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('tells the losers that another attempt succeeded, and leaves the winner live', async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const done = hedge({ clock, delay: 10 }).execute(
      replica(clock, { 1: { ms: 500 }, 2: { ms: 5 } }, signals),
    );
    await clock.tickAsync(20);
    await expect(done).resolves.toBe('attempt 2');
    expect(isCancelledError(signals[0]?.reason)).toBe(true);
    expect((signals[0]?.reason as Error).message).toMatch(/succeeded first/);
    expect(signals[1]?.aborted).toBe(false);
  });

  it('with an infinite delay, hedges only when an attempt fails', async () => {
    const clock = new ManualClock();
    const slow = hedge({ clock, delay: Infinity }).execute(replica(clock, { 1: { ms: 60_000 } }));
    expect(clock.pendingTimers).toBe(0);
    await clock.tickAsync(60_000);
    await expect(slow).resolves.toBe('attempt 1');
    const failing = hedge({ clock, delay: Infinity }).execute(replica(clock, { 1: { ms: 5, fail: true } }));
    await clock.tickAsync(5);
    await expect(failing).resolves.toBe('attempt 2');
  });

  it('launches no hedge once the shared budget is spent', async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ clock, ratio: 0, minRetries: 1 });
    const policy = hedge({ clock, delay: 10, budget });
    const hedges: number[] = [];
    policy.onHedge(({ attempt }) => hedges.push(attempt));
    for (let i = 0; i < 3; i++) {
      const done = policy.execute(replica(clock, { 1: { ms: 50 }, 2: { ms: 50 } }));
      await clock.tickAsync(60);
      await done;
    }
    expect(hedges).toEqual([2]);
  });

  it('rejects bad options at construction', () => {
    expect(() => hedge({ delay: -1, maxHedges: 0 })).toThrow(/delay.*maxHedges/);
  });

  it('property: launches at most 1 + maxHedges attempts, keeps only the winner live, leaves no timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ ms: fc.integer({ min: 0, max: 200 }), fail: fc.boolean() }), {
          minLength: 5,
          maxLength: 5,
        }),
        async (delay, maxHedges, plans) => {
          const clock = new ManualClock();
          const signals: AbortSignal[] = [];
          const plan = Object.fromEntries(plans.map((step, index) => [index + 1, step]));
          const done = hedge({ clock, delay, maxHedges })
            .execute(replica(clock, plan, signals))
            .then(
              (value) => ({ value }),
              (error: unknown) => ({ error }),
            );
          await clock.tickAsync(1_000);
          const outcome = await done;
          const launched = signals.length;
          if (launched < 1 || launched > 1 + maxHedges || clock.pendingTimers !== 0) return false;
          const live = signals.filter((signal) => !signal.aborted);
          if ('value' in outcome) {
            const winner = Number(String(outcome.value).split(' ')[1]);
            return plans[winner - 1]?.fail === false && live.length === 1 && live[0] === signals[winner - 1];
          }
          return launched === 1 + maxHedges && plans.slice(0, launched).every((step) => step.fail);
        },
      ),
      { numRuns: 150 },
    );
  });
});
