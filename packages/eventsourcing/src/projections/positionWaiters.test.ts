import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PositionWaiters } from './positionWaiters.js';

describe('PositionWaiters', () => {
  it('resolves each wait once the position reaches its target', async () => {
    const waiters = new PositionWaiters();
    const low = waiters.wait(2);
    const high = waiters.wait(5);
    waiters.advance(3);
    await expect(low).resolves.toBe(3);
    waiters.advance(5);
    await expect(high).resolves.toBe(5);
  });

  it('hangs one listener on a signal shared by many waits, and none once they resolved', async () => {
    const waiters = new PositionWaiters();
    const controller = new AbortController();
    const waits = Array.from({ length: 20 }, (_, i) => waiters.wait(i + 1, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    waiters.advance(20);
    await Promise.all(waits);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a wait with the abort reason and forgets it', async () => {
    const waiters = new PositionWaiters();
    const controller = new AbortController();
    const wait = waiters.wait(10, controller.signal);
    controller.abort(new Error('stopped waiting'));
    await expect(wait).rejects.toThrow('stopped waiting');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
