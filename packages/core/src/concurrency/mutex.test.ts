import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Mutex } from './mutex.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Mutex', () => {
  it('runs tasks one at a time in call order, and is unlocked when they are done', async () => {
    const mutex = new Mutex();
    const log: number[] = [];
    let running = 0;
    const runs = [1, 2, 3].map((n) =>
      mutex.run(async () => {
        running++;
        expect(running).toBe(1);
        await flush();
        log.push(n);
        running--;
        return n;
      }),
    );
    expect(mutex.locked).toBe(true);
    await expect(Promise.all(runs)).resolves.toEqual([1, 2, 3]);
    expect(log).toEqual([1, 2, 3]);
    await flush();
    expect(mutex.locked).toBe(false);
  });

  it('turns a synchronous throw into a rejection and runs the next task', async () => {
    const mutex = new Mutex();
    const boom = new Error('boom');
    const first = mutex.run(() => {
      throw boom;
    });
    const second = mutex.run((): number => {
      throw boom;
    });
    const third = mutex.run(() => 3);
    await expect(first).rejects.toBe(boom);
    await expect(second).rejects.toBe(boom);
    await expect(third).resolves.toBe(3);
  });

  it('lets an aborted waiter go without running its task, and keeps the order of the rest', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    let open!: () => void;
    const first = mutex.run(() => new Promise<void>((resolve) => (open = resolve)));
    const controller = new AbortController();
    const skipped = mutex.run(() => log.push('skipped'), controller.signal);
    const last = mutex.run(() => log.push('last'));
    controller.abort(new Error('gone'));
    await expect(skipped).rejects.toThrow('gone');
    open();
    await Promise.all([first, last]);
    expect(log).toEqual(['last']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once for an already aborted signal', async () => {
    const mutex = new Mutex();
    let ran = false;
    await expect(mutex.run(() => (ran = true), AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
    expect(ran).toBe(false);
    expect(mutex.locked).toBe(false);
  });

  it('rejects a signal that is not an AbortSignal without throwing, and stays usable', async () => {
    const mutex = new Mutex();
    let release!: () => void;
    const busy = mutex.run(() => new Promise<void>((resolve) => (release = resolve)));
    let result: Promise<unknown> | undefined;
    expect(() => (result = mutex.run(() => 'never runs', {} as AbortSignal))).not.toThrow();
    await expect(result).rejects.toThrow(/signal: must be an AbortSignal/);
    release();
    await busy;
    await expect(mutex.run(() => 'next')).resolves.toBe('next');
  });
});
