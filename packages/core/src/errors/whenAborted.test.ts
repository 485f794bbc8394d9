import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { linkedAbortController, raceAbort } from './abort.js';
import { whenAborted } from './whenAborted.js';
import { NEVER_ABORTED } from '../concurrency/signals.js';

describe('whenAborted', () => {
  it('hangs one listener however many follow a signal, and removes it when the last leaves', () => {
    const controller = new AbortController();
    const stops = Array.from({ length: 30 }, () => whenAborted(controller.signal, () => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const stop of stops.slice(1)) stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[0]!();
    stops[0]!();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls every remaining follower once, in order, and none that left', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('a'));
    const leave = whenAborted(controller.signal, () => calls.push('b'));
    whenAborted(controller.signal, () => calls.push('c'));
    leave();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['a', 'c']);
  });

  it('skips a follower that leaves while an earlier one runs', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    let leaveSecond = (): void => {};
    whenAborted(controller.signal, () => {
      calls.push('first');
      leaveSecond();
    });
    leaveSecond = whenAborted(controller.signal, () => calls.push('second'));
    controller.abort();
    expect(calls).toEqual(['first']);
  });

  it('still calls the others when one follower throws, and rethrows the error on a microtask', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const later: (() => void)[] = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => later.push(task));
    whenAborted(controller.signal, () => {
      throw new Error('follower failed');
    });
    whenAborted(controller.signal, () => calls.push('other'));
    controller.abort();
    vi.restoreAllMocks();
    expect(calls).toEqual(['other']);
    expect(later).toHaveLength(1);
    expect(later[0]!).toThrow('follower failed');
  });

  it('calls back at once for a signal already aborted', () => {
    let called = 0;
    whenAborted(AbortSignal.abort(), () => called++);
    expect(called).toBe(1);
  });

  it('follows again after every follower left and the listener was removed', () => {
    const controller = new AbortController();
    whenAborted(controller.signal, () => {})();
    let called = 0;
    whenAborted(controller.signal, () => called++);
    controller.abort();
    expect(called).toBe(1);
  });
});

describe('raceAbort and linkedAbortController over whenAborted', () => {
  it('share one listener across many concurrent waits and links', async () => {
    const controller = new AbortController();
    const waits = Array.from({ length: 15 }, () =>
      raceAbort(new Promise<never>(() => {}), controller.signal),
    );
    const links = Array.from({ length: 15 }, () => linkedAbortController(controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('gone'));
    for (const wait of waits) await expect(wait).rejects.toThrow('gone');
    for (const link of links) expect(link.signal.reason).toEqual(new Error('gone'));
  });

  it('return the promise itself, and a plain controller, for the never-aborted signal', () => {
    const promise = Promise.resolve(1);
    expect(raceAbort(promise, NEVER_ABORTED)).toBe(promise);
    const link = linkedAbortController(NEVER_ABORTED);
    link.abort(new Error('own'));
    expect(link.signal.aborted).toBe(true);
    expect(getEventListeners(NEVER_ABORTED, 'abort')).toHaveLength(0);
  });
});
