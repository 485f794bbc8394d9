import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { AppendWakeups } from './appendWakeups.js';

const NEVER = new AbortController().signal;

describe('AppendWakeups', () => {
  it('ends a wait at once when an append happened after the watch was armed', async () => {
    const wakeups = new AppendWakeups(new ManualClock(), 1000);
    const watch = wakeups.watch();
    wakeups.notify();
    await expect(watch.wait(NEVER)).resolves.toBeUndefined();
  });

  it('ends a waiting wait when an append is notified', async () => {
    const wakeups = new AppendWakeups(new ManualClock(), 1000);
    let woken = false;
    const waiting = wakeups
      .watch()
      .wait(NEVER)
      .then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    wakeups.notify();
    await waiting;
    expect(woken).toBe(true);
  });

  it('ends a wait after the poll interval when nothing is notified', async () => {
    const clock = new ManualClock();
    const wakeups = new AppendWakeups(clock, 250);
    let woken = false;
    const waiting = wakeups
      .watch()
      .wait(NEVER)
      .then(() => (woken = true));
    await clock.tickAsync(249);
    expect(woken).toBe(false);
    await clock.tickAsync(1);
    await waiting;
    expect(woken).toBe(true);
  });

  it('rejects a wait with the abort reason', async () => {
    const wakeups = new AppendWakeups(new ManualClock(), 1000);
    const controller = new AbortController();
    const reason = new Error('stop');
    const waiting = wakeups.watch().wait(controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
