import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('systemClock', () => {
  it('reads the real time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('resolves a short sleep', async () => {
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
  });

  it('rejects a sleep with the abort reason and removes its listener', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(sleeping).rejects.toThrow('shutdown');
  });

  it('cancels a timer before it runs', async () => {
    let ran = false;
    systemClock.setTimeout(() => (ran = true), 1).cancel();
    await systemClock.sleep(5);
    expect(ran).toBe(false);
  });

  it('rejects a negative delay', () => {
    expect(() => systemClock.setTimeout(() => {}, -5)).toThrow(RangeError);
  });

  it('rejects a sleep given a signal that is not an AbortSignal, and sets no timer', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const sleeping = systemClock.sleep(60_000, null as unknown as AbortSignal);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    await expect(sleeping).rejects.toThrow(/signal: must be an AbortSignal/);
  });

  it('rejects, never throws, a sleep of a negative or NaN delay, and sets no timer', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    let sleeps: Promise<void>[] = [];
    expect(() => (sleeps = [systemClock.sleep(-1), systemClock.sleep(Number.NaN)])).not.toThrow();
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    for (const sleep of sleeps) await expect(sleep).rejects.toThrow(RangeError);
  });
});

describe('systemClock.setInterval longer than the platform allows', () => {
  const MAX = 2_147_483_647;
  const DAY = 24 * 3600 * 1000;

  /** Stands in for the platform's timers: records each delay and lets the test fire it. */
  function fakePlatformTimers() {
    const pending = new Map<number, { callback: () => void; ms: number }>();
    const delays: number[] = [];
    let next = 1;
    const schedule = (callback: () => void, ms?: number) => {
      const id = next++;
      delays.push(ms ?? 0);
      pending.set(id, { callback, ms: ms ?? 0 });
      return { unref: () => {}, [Symbol.toPrimitive]: () => id } as unknown as NodeJS.Timeout;
    };
    const clear = (handle: unknown) => void pending.delete(Number(handle));
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(schedule as never);
    vi.spyOn(globalThis, 'setInterval').mockImplementation(schedule as never);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(clear as never);
    vi.spyOn(globalThis, 'clearInterval').mockImplementation(clear as never);
    return {
      delays,
      get pending() {
        return pending.size;
      },
      /** Fires the oldest pending timer, as if its delay had passed. */
      fireNext() {
        const [id, timer] = [...pending][0]!;
        pending.delete(id);
        timer.callback();
      },
    };
  }

  it('never hands the platform a delay above 2^31-1 ms, and fires once per full interval', () => {
    const timers = fakePlatformTimers();
    let fired = 0;
    const interval = systemClock.setInterval(() => fired++, 60 * DAY);
    // 60 days is two full platform timers and a remainder; the callback fires after all three.
    timers.fireNext();
    timers.fireNext();
    expect(fired).toBe(0);
    timers.fireNext();
    expect(fired).toBe(1);
    for (let i = 0; i < 3; i++) timers.fireNext();
    expect(fired).toBe(2);
    expect(timers.delays.every((ms) => ms <= MAX)).toBe(true);
    expect(timers.delays.slice(0, 3).reduce((a, b) => a + b, 0)).toBe(60 * DAY);
    interval.cancel();
    expect(timers.pending).toBe(0);
  });

  it('can be cancelled from inside its own callback', () => {
    const timers = fakePlatformTimers();
    let fired = 0;
    const interval = systemClock.setInterval(() => {
      fired++;
      interval.cancel();
    }, MAX + 1);
    timers.fireNext();
    timers.fireNext();
    expect(fired).toBe(1);
    expect(timers.pending).toBe(0);
  });
});
