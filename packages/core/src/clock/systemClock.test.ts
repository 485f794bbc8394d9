import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';

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
});
