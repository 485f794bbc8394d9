import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './manualClock.js';

describe('ManualClock', () => {
  it('starts at the given time and moves only when advanced', () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:00Z'));
    clock.advance(250);
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:00.250Z'));
  });

  it('runs due timers in due-time order, ties in schedule order', () => {
    const clock = new ManualClock();
    const order: string[] = [];
    clock.setTimeout(() => order.push('b@20'), 20);
    clock.setTimeout(() => order.push('a@10'), 10);
    clock.setTimeout(() => order.push('c@20'), 20);
    clock.setTimeout(() => order.push('late'), 31);
    expect(clock.advance(30)).toBe(3);
    expect(order).toEqual(['a@10', 'b@20', 'c@20']);
  });

  it('shows each timer the time it was due, not the target of the advance', () => {
    const clock = new ManualClock(1000);
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 5);
    clock.setTimeout(() => seen.push(clock.now()), 15);
    clock.advance(100);
    expect(seen).toEqual([1005, 1015]);
    expect(clock.now()).toBe(1100);
  });

  it('runs timers scheduled by timers when they fall due within the same advance', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
      clock.setTimeout(() => fired.push(clock.now()), 0);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([10, 10, 20]);
  });

  it('does not run a cancelled timer', () => {
    const clock = new ManualClock();
    let ran = false;
    const timer = clock.setTimeout(() => (ran = true), 10);
    timer.cancel();
    timer.cancel();
    clock.advance(100);
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('repeats an interval until it is cancelled, even from inside its callback', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const interval = clock.setInterval(() => {
      ticks.push(clock.now());
      if (ticks.length === 3) interval.cancel();
    }, 100);
    clock.advance(1000);
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves a sleep when time reaches it', async () => {
    const clock = new ManualClock();
    let done = false;
    const sleeping = clock.sleep(50).then(() => (done = true));
    await clock.tickAsync(49);
    expect(done).toBe(false);
    await clock.tickAsync(1);
    await sleeping;
    expect(done).toBe(true);
  });

  it('rejects a sleep on an already aborted signal at once, with its reason, and schedules nothing', async () => {
    const clock = new ManualClock();
    const reason = new Error('stop');
    await expect(clock.sleep(1000, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a sleep given a signal that is not an AbortSignal, and schedules nothing', async () => {
    const clock = new ManualClock();
    for (const bad of [null, {}, { aborted: false }]) {
      await expect(clock.sleep(1000, bad as AbortSignal)).rejects.toThrow(/signal: must be an AbortSignal/);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects, never throws, a sleep of a negative or NaN delay', async () => {
    const clock = new ManualClock();
    let sleeps: Promise<void>[] = [];
    expect(() => (sleeps = [clock.sleep(-1), clock.sleep(Number.NaN)])).not.toThrow();
    for (const sleep of sleeps) await expect(sleep).rejects.toThrow(RangeError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a sleep as soon as its signal aborts and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error('cancelled by caller'));
    await expect(sleeping).rejects.toThrow('cancelled by caller');
    expect(clock.pendingTimers).toBe(0);
  });

  it('hangs one listener on a signal shared by many sleeps, and none once they woke', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeps = Array.from({ length: 20 }, (_, i) => clock.sleep(10 + i, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await clock.tickAsync(100);
    await Promise.all(sleeps);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('wakes a zero-length sleep and leaves nothing on its signal', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(0, controller.signal);
    await clock.tickAsync(0);
    await sleeping;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('lets async code that awaits between sleeps progress with tickAsync', async () => {
    const clock = new ManualClock();
    const wakeUps: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        wakeUps.push(clock.now());
      }
    })();
    await clock.tickAsync(300);
    await loop;
    expect(wakeUps).toEqual([100, 200, 300]);
  });

  it('rejects negative, infinite and NaN delays', () => {
    const clock = new ManualClock();
    expect(() => clock.setTimeout(() => {}, -1)).toThrow(RangeError);
    expect(() => clock.setTimeout(() => {}, Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.setInterval(() => {}, 0)).toThrow(RangeError);
  });

  it('never moves time back when a timer advances the clock during advance', () => {
    const clock = new ManualClock(0);
    clock.setTimeout(() => clock.advance(100), 5);
    clock.advance(10);
    expect(clock.now()).toBe(105);
  });

  it('never moves time back when two tickAsync calls overlap', async () => {
    const clock = new ManualClock(0);
    for (const delay of [1, 2, 3]) clock.setTimeout(() => {}, delay);
    const seen: number[] = [];
    const short = clock.tickAsync(3).then(() => seen.push(clock.now()));
    const long = clock.tickAsync(10).then(() => seen.push(clock.now()));
    await Promise.all([short, long]);
    expect(clock.now()).toBe(10);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('refuses to move time backwards', () => {
    const clock = new ManualClock(100);
    expect(() => clock.setTime(50)).toThrow(/cannot go back/);
  });

  it('stops runAllAsync on an endless interval instead of hanging', async () => {
    const clock = new ManualClock();
    clock.setInterval(() => {}, 1);
    await expect(clock.runAllAsync(50)).rejects.toThrow(/Stopped after 50 timers/);
  });
});

describe('ManualClock ordering properties', () => {
  const schedule = fc.array(
    fc.record({
      delay: fc.integer({ min: 0, max: 1000 }),
      child: fc.option(fc.integer({ min: 0, max: 500 })),
    }),
    { maxLength: 40 },
  );
  const steps = fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 10 });

  it('fires every timer exactly once, never early, in non-decreasing due order', () => {
    fc.assert(
      fc.property(schedule, steps, (timers, advances) => {
        const clock = new ManualClock();
        const fired: { id: string; due: number; at: number }[] = [];
        const expected = new Map<string, number>();
        timers.forEach(({ delay, child }, index) => {
          const id = `t${index}`;
          expected.set(id, delay);
          clock.setTimeout(() => {
            fired.push({ id, due: delay, at: clock.now() });
            if (child !== null) {
              const childDue = clock.now() + child;
              expected.set(`${id}.child`, childDue);
              clock.setTimeout(
                () => fired.push({ id: `${id}.child`, due: childDue, at: clock.now() }),
                child,
              );
            }
          }, delay);
        });
        for (const step of advances) clock.advance(step);
        clock.advance(2000);

        expect(fired.map((f) => f.id).sort()).toEqual([...expected.keys()].sort());
        for (const entry of fired) expect(entry.at).toBe(entry.due);
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.at).toBeGreaterThanOrEqual(fired[i - 1]!.at);
      }),
    );
  });

  it('fires timers due at the same time in the order they were scheduled', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 50 }), (delays) => {
        const clock = new ManualClock();
        const fired: number[] = [];
        delays.forEach((delay, index) => clock.setTimeout(() => fired.push(index), delay));
        clock.advance(10);
        const expected = delays
          .map((delay, index) => ({ delay, index }))
          .sort((a, b) => a.delay - b.delay || a.index - b.index)
          .map((entry) => entry.index);
        expect(fired).toEqual(expected);
      }),
    );
  });
});
