import { describe, expect, it, vi } from 'vitest';
import { KeyedMutex } from './keyedMutex.js';
import { SingleFlight } from './singleFlight.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key and forgets it afterwards', async () => {
    const flights = new SingleFlight<string, number>();
    const work = vi.fn(async () => 42);
    const results = await Promise.all([
      flights.run('k', work),
      flights.run('k', work),
      flights.run('other', work),
    ]);
    expect(results).toEqual([42, 42, 42]);
    expect(work).toHaveBeenCalledTimes(2);
    expect(flights.size).toBe(0);
  });

  it('starts afresh after invalidate and marks the old flight as not current', async () => {
    const flights = new SingleFlight<string, boolean>();
    let release!: () => void;
    const old = flights.run('k', async (context) => {
      await new Promise<void>((resolve) => (release = resolve));
      return context.isCurrent();
    });
    await settle();
    flights.invalidate('k');
    const fresh = flights.run('k', async (context) => context.isCurrent());
    release();
    expect(await Promise.all([old, fresh])).toEqual([false, true]);
  });

  it('keeps a detached flight running when its only waiter aborts', async () => {
    const flights = new SingleFlight<string, string>();
    let signal: AbortSignal | undefined;
    let release!: (value: string) => void;
    const detached = flights.runDetached('k', (context) => {
      signal = context.signal;
      return new Promise<string>((resolve) => (release = resolve));
    });
    const controller = new AbortController();
    const waiter = flights.run('k', async () => 'unused', controller.signal);
    controller.abort(new Error('bye'));
    await expect(waiter).rejects.toThrow('bye');
    release('done');
    expect(await detached).toBe('done');
    expect(signal?.aborted).toBe(false);
  });
});

describe('KeyedMutex', () => {
  it('runs tasks of one key in call order even if an earlier one fails', async () => {
    const mutex = new KeyedMutex<string>();
    const order: number[] = [];
    const first = mutex.run('k', async () => {
      await settle();
      order.push(1);
      throw new Error('first fails');
    });
    const second = mutex.run('k', async () => void order.push(2));
    await expect(first).rejects.toThrow('first fails');
    await second;
    expect(order).toEqual([1, 2]);
    await settle();
    expect(mutex.size).toBe(0);
  });
});
