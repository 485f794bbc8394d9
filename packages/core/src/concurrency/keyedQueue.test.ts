import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isValidationError } from '../errors/errors.js';
import { KeyedQueue } from './keyedQueue.js';

/** A promise with its resolve and reject exposed. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask (and the ones they queue) run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one at a time, in call order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await flush();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((name) => queue.run('k', task(name))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('runs tasks of different keys concurrently', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const started: string[] = [];
    const first = queue.run('a', () => (started.push('a'), gate.promise));
    const second = queue.run('b', () => (started.push('b'), 'b'));
    await expect(second).resolves.toBe('b');
    expect(started).toEqual(['a', 'b']);
    gate.resolve();
    await first;
  });

  it('starts the task of an idle key synchronously inside run', () => {
    const queue = new KeyedQueue();
    let started = false;
    void queue.run('k', () => {
      started = true;
    });
    expect(started).toBe(true);
  });

  it('makes a call queued from inside a starting task wait for that task', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const gate = deferred();
    let inner: Promise<void> | undefined;
    const outer = queue.run('k', async () => {
      log.push('outer start');
      inner = queue.run('k', () => void log.push('inner'));
      void queue.run('k', () => void log.push('second inner'));
      await gate.promise;
      log.push('outer end');
    });
    await flush();
    expect(log).toEqual(['outer start']);
    gate.resolve();
    await outer;
    await inner;
    await flush();
    expect(log).toEqual(['outer start', 'outer end', 'inner', 'second inner']);
    expect(queue.size).toBe(0);
  });

  it('makes a call queued from inside a task that throws synchronously still run', async () => {
    const queue = new KeyedQueue();
    let inner: Promise<string> | undefined;
    const outer = queue.run('k', () => {
      inner = queue.run('k', () => 'inner ran');
      throw new Error('outer failed');
    });
    await expect(outer).rejects.toThrow('outer failed');
    await expect(inner).resolves.toBe('inner ran');
  });

  it('turns a synchronous throw into a rejection of that task only, and goes on', async () => {
    const queue = new KeyedQueue();
    const boom = new Error('boom');
    const idle = queue.run('k', () => {
      throw boom;
    });
    const gate = deferred();
    const holder = queue.run('k', () => gate.promise);
    const queued = queue.run('k', (): string => {
      throw boom;
    });
    const after = queue.run('k', () => 'after');
    gate.resolve();
    await expect(idle).rejects.toBe(boom);
    await holder;
    await expect(queued).rejects.toBe(boom);
    await expect(after).resolves.toBe('after');
  });

  it('goes on after a task rejects', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('k', () => Promise.reject(new Error('no')));
    const next = queue.run('k', () => 2);
    await expect(failed).rejects.toThrow('no');
    await expect(next).resolves.toBe(2);
  });

  it('holds no memory for a key once its tasks have settled', async () => {
    const queue = new KeyedQueue<number>();
    const runs = Array.from({ length: 1_000 }, (_, key) => queue.run(key, () => key));
    runs.push(queue.run(3, () => Promise.reject(new Error('x'))).catch(() => -1));
    expect(queue.size).toBe(1_000);
    expect(queue.has(3)).toBe(true);
    await Promise.all(runs);
    await flush();
    expect(queue.size).toBe(0);
    expect(queue.has(3)).toBe(false);
  });

  it('rejects at once with the reason of an already aborted signal, without running the task', async () => {
    const queue = new KeyedQueue();
    let ran = false;
    const reason = new Error('early');
    await expect(queue.run('k', () => (ran = true), AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(queue.size).toBe(0);
  });

  it('lets a waiter go when its signal aborts, skips its task and keeps the order of the rest', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const log: string[] = [];
    const first = queue.run('k', async () => {
      await gate.promise;
      log.push('first');
    });
    const controller = new AbortController();
    const skipped = queue.run('k', () => log.push('skipped'), controller.signal);
    const last = queue.run('k', () => log.push('last'));
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(skipped).rejects.toBe(reason);
    expect(log).toEqual([]);
    gate.resolve();
    await Promise.all([first, last]);
    expect(log).toEqual(['first', 'last']);
    await flush();
    expect(queue.size).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not stop a task that has started when the signal aborts later', async () => {
    const queue = new KeyedQueue();
    await queue.run('k', () => flush());
    const gate = deferred<string>();
    const controller = new AbortController();
    const busy = queue.run('k', () => flush());
    const running = queue.run('k', () => gate.promise, controller.signal);
    await busy;
    await flush();
    controller.abort(new Error('late'));
    gate.resolve('done');
    await expect(running).resolves.toBe('done');
  });

  it('hangs one listener on a signal shared by many waiters and removes it afterwards', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const controller = new AbortController();
    const first = queue.run('k', () => gate.promise);
    const waits = Array.from({ length: 20 }, (_, i) => queue.run('k', () => i, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    gate.resolve();
    await Promise.all([first, ...waits]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('runs each of many concurrent callers exactly once, per key in order', async () => {
    const queue = new KeyedQueue();
    const seen = new Map<string, number[]>();
    const calls = Array.from({ length: 300 }, (_, i) => {
      const key = `k${i % 7}`;
      return queue.run(key, async () => {
        if (i % 3 === 0) await flush();
        seen.set(key, [...(seen.get(key) ?? []), i]);
      });
    });
    await Promise.all(calls);
    const all = [...seen.values()].flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    for (const order of seen.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  describe('given a signal that is not an AbortSignal', () => {
    const notSignals: Array<[string, unknown]> = [
      ['null', null],
      ['an empty object', {}],
      ['an object that cannot be listened to', { aborted: false }],
    ];
    const refused = (error: unknown): boolean =>
      isValidationError(error) && /signal: must be an AbortSignal/.test((error as Error).message);

    it.each(notSignals)('rejects on an idle key without running the task: %s', async (_, value) => {
      const queue = new KeyedQueue();
      let ran = false;
      const result = queue.run('k', () => (ran = true), value as AbortSignal);
      await expect(result).rejects.toSatisfy(refused);
      expect(ran).toBe(false);
      expect(queue.has('k')).toBe(false);
    });

    it.each(notSignals)(
      'rejects on a busy key, never throws, and the queue goes on: %s',
      async (_, value) => {
        const queue = new KeyedQueue();
        const first = deferred();
        const busy = queue.run('k', () => first.promise);
        let result: Promise<unknown> | undefined;
        expect(() => (result = queue.run('k', () => 'never runs', value as AbortSignal))).not.toThrow();
        await expect(result).rejects.toSatisfy(refused);
        first.resolve();
        await busy;
        await expect(queue.run('k', () => 'next')).resolves.toBe('next');
        await flush();
        expect(queue.size).toBe(0);
      },
    );

    it.each(notSignals)(
      'leaves the key free when called from inside a starting task: %s',
      async (_, value) => {
        const queue = new KeyedQueue();
        let nested: Promise<unknown> | undefined;
        await queue.run('k', () => {
          nested = queue.run('k', () => 'never runs', value as AbortSignal);
          return 1;
        });
        await expect(nested).rejects.toSatisfy(refused);
        await flush();
        expect(queue.has('k')).toBe(false);
        await expect(queue.run('k', () => 'later')).resolves.toBe('later');
      },
    );
  });
});
