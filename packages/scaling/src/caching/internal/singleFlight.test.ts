import { describe, expect, it, vi } from 'vitest';
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

describe('SingleFlight after every caller aborted', () => {
  it('runs fresh work for a caller who joins after every earlier caller left', async () => {
    const flights = new SingleFlight<string, string>();
    const started: AbortSignal[] = [];
    const work = (context: { signal: AbortSignal }) => {
      started.push(context.signal);
      return started.length === 1 ? new Promise<string>(() => {}) : Promise.resolve('fresh');
    };
    const controller = new AbortController();
    const left = flights.run('k', work, controller.signal);
    await settle();
    controller.abort(new Error('left'));
    await expect(left).rejects.toThrow('left');
    await expect(flights.run('k', work)).resolves.toBe('fresh');
    expect(started).toHaveLength(2);
    expect(started[0]!.aborted).toBe(true);
  });

  it('also starts fresh detached work after the waiters of a flight left', async () => {
    const flights = new SingleFlight<string, string>();
    let runs = 0;
    const work = () => (++runs === 1 ? new Promise<string>(() => {}) : Promise.resolve('refreshed'));
    const controller = new AbortController();
    const left = flights.run('k', work, controller.signal);
    controller.abort(new Error('left'));
    await expect(left).rejects.toThrow('left');
    await expect(flights.runDetached('k', work)).resolves.toBe('refreshed');
    expect(runs).toBe(2);
  });
});
