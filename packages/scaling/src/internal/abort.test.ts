import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { callSignal, raceAbortShared, whenAborted } from './abort.js';

describe('whenAborted', () => {
  it('hangs one listener on a signal however many follow it, and removes it when the last leaves', () => {
    const controller = new AbortController();
    const stops = Array.from({ length: 30 }, () => whenAborted(controller.signal, () => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const stop of stops.slice(1)) stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[0]!();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls every follower still following once on abort, and none that left', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('a'));
    const leave = whenAborted(controller.signal, () => calls.push('b'));
    whenAborted(controller.signal, () => calls.push('a'));
    leave();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['a', 'a']);
  });

  it('calls back at once for a signal already aborted', () => {
    let called = 0;
    whenAborted(AbortSignal.abort(), () => called++);
    expect(called).toBe(1);
  });
});

describe('callSignal', () => {
  it('gives a fresh signal that aborts with the parent’s reason until disposed', () => {
    const parent = new AbortController();
    const followed = callSignal(parent.signal);
    const left = callSignal(parent.signal);
    left.dispose();
    parent.abort(new Error('stop'));
    expect(followed.signal).not.toBe(parent.signal);
    expect(followed.signal.reason).toEqual(new Error('stop'));
    expect(left.signal.aborted).toBe(false);
  });

  it('gives a fresh signal per call without a parent', () => {
    expect(callSignal(undefined).signal).not.toBe(callSignal(undefined).signal);
  });
});

describe('raceAbortShared', () => {
  it('rejects with the reason when the signal aborts first, and leaves no listener either way', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const waits = Array.from({ length: 15 }, () => raceAbortShared(never, controller.signal));
    const done = await raceAbortShared(Promise.resolve('ok'), controller.signal);
    expect(done).toBe('ok');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('gone'));
    for (const wait of waits) await expect(wait).rejects.toThrow('gone');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
