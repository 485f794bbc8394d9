import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manualClock.js';
import { settleWithin } from './settleWithin.js';

describe('settleWithin', () => {
  it('says true when the work settles in time, and leaves no timer', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const result = settleWithin(clock.sleep(100), 1_000, clock, () => (aborted = true));
    await clock.tickAsync(100);
    expect(await result).toBe(true);
    expect(aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts a rejection as settled', async () => {
    await expect(settleWithin(Promise.reject(new Error('x')), 10, new ManualClock())).resolves.toBe(true);
  });

  it('calls onDeadline once and says false when the deadline passes first', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const result = settleWithin(new Promise(() => {}), 500, clock, () => calls++);
    await clock.tickAsync(500);
    expect(await result).toBe(false);
    expect(calls).toBe(1);
  });

  it('gives no time at all with a zero deadline, but still counts work already settled', async () => {
    const clock = new ManualClock();
    expect(await settleWithin(new Promise(() => {}), 0, clock)).toBe(false);
    expect(await settleWithin(Promise.resolve(), 0, clock)).toBe(true);
  });

  it('waits without a timer when the deadline is Infinity', async () => {
    const clock = new ManualClock();
    let finish!: () => void;
    const result = settleWithin(new Promise<void>((resolve) => (finish = resolve)), Infinity, clock);
    expect(clock.pendingTimers).toBe(0);
    finish();
    expect(await result).toBe(true);
  });
});
