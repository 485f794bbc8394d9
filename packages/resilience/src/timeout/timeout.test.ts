import { getEventListeners } from 'node:events';
import { isTimeoutError, isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { timeout } from './timeout.js';

/** Work that finishes after `ms` on the clock unless its signal aborts first. */
function work(clock: ManualClock, ms: number, value = 'done') {
  return async ({ signal }: { signal: AbortSignal }): Promise<string> => {
    await clock.sleep(ms, signal);
    return value;
  };
}

describe('timeout', () => {
  it('returns the result of a call that finishes in time and leaves no timer', async () => {
    const clock = new ManualClock();
    const done = timeout(100, { clock }).execute(work(clock, 50));
    await clock.tickAsync(50);
    await expect(done).resolves.toBe('done');
    expect(clock.pendingTimers).toBe(0);
  });

  it('cooperative: aborts the call signal and rejects with a TimeoutError once the call stops', async () => {
    const clock = new ManualClock();
    let seen: AbortSignal | undefined;
    const done = timeout(100, { clock }).execute(async (context) => {
      seen = context.signal;
      return work(clock, 1_000)(context);
    });
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await error)).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cooperative: waits for a call that ignores its signal and returns its result', async () => {
    const clock = new ManualClock();
    const done = timeout(100, { clock }).execute(() => clock.sleep(300).then(() => 'late'));
    await clock.tickAsync(300);
    await expect(done).resolves.toBe('late');
  });

  it('cooperative: wraps the call error as the cause of the TimeoutError', async () => {
    const clock = new ManualClock();
    const done = timeout(10, { clock }).execute(async ({ signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      throw new Error('stopped');
    });
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(10);
    expect(((await error) as Error).cause).toEqual(new Error('stopped'));
  });

  it('aggressive: rejects at the limit even when the call ignores its signal', async () => {
    const clock = new ManualClock();
    let finished = false;
    const done = timeout(100, { clock, strategy: 'aggressive' }).execute(async () => {
      await clock.sleep(1_000);
      finished = true;
    });
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await error)).toBe(true);
    expect(finished).toBe(false);
    await clock.tickAsync(900);
    expect(finished).toBe(true);
  });

  it('aggressive: a late failure of the abandoned work is not an unhandled rejection', async () => {
    const clock = new ManualClock();
    const done = timeout(10, { clock, strategy: 'aggressive' }).execute(async () => {
      await clock.sleep(50);
      throw new Error('late failure');
    });
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(50);
    expect(isTimeoutError(await error)).toBe(true);
  });

  it('gives each call its own signal, so one timing out never aborts another', async () => {
    const clock = new ManualClock();
    const policy = timeout(100, { clock });
    const signals: AbortSignal[] = [];
    const slow = policy.execute(async (context) => {
      signals.push(context.signal);
      return work(clock, 500)(context);
    });
    const slowError = slow.catch((e: unknown) => e);
    await clock.tickAsync(60);
    const fast = policy.execute(async (context) => {
      signals.push(context.signal);
      return work(clock, 50, 'fast')(context);
    });
    await clock.tickAsync(40);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    await clock.tickAsync(10);
    await expect(fast).resolves.toBe('fast');
    expect(isTimeoutError(await slowError)).toBe(true);
  });

  it('leaves no listener on the caller signal after many calls, whatever their outcome', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const policy = timeout(10, { clock });
    for (let i = 0; i < 20; i++) {
      await policy.execute(() => i, controller.signal);
      await policy.execute(() => Promise.reject(new Error('x')), controller.signal).catch(() => {});
      const late = policy.execute(work(clock, 100), controller.signal).catch(() => {});
      await clock.tickAsync(10);
      await late;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('hangs one listener on a caller signal shared by many concurrent calls', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const policy = timeout(10, { clock });
    const calls = Array.from({ length: 20 }, () =>
      policy.execute(work(clock, 100), controller.signal).catch((e: unknown) => e),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await clock.tickAsync(10);
    for (const outcome of await Promise.all(calls)) expect(isTimeoutError(outcome)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the caller reason when the caller aborts first', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = timeout(100, { clock }).execute(work(clock, 1_000), controller.signal);
    controller.abort(new Error('caller gone'));
    await expect(done).rejects.toThrow('caller gone');
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('aggressive: removes its listener from the caller signal even when the work never settles', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = timeout(10, { clock, strategy: 'aggressive' }).execute(
      () => new Promise(() => {}),
      controller.signal,
    );
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(10);
    expect(isTimeoutError(await error)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('creates no AbortController for a call that never reads its signal', async () => {
    const clock = new ManualClock();
    let context: unknown;
    await timeout(10, { clock }).execute((c) => (context = c));
    expect((context as { created: boolean }).created).toBe(false);
  });

  it('a signal first read after the timeout is already aborted with the TimeoutError', async () => {
    const clock = new ManualClock();
    const done = timeout(10, { clock }).execute(async (context) => {
      await clock.sleep(20);
      return context.signal.reason as unknown;
    });
    await clock.tickAsync(20);
    expect(isTimeoutError(await done)).toBe(true);
  });

  it('aggressive: rejects at once when the caller aborts', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = timeout(100, { clock, strategy: 'aggressive' }).execute(
      () => new Promise(() => {}),
      controller.signal,
    );
    controller.abort(new Error('caller gone'));
    await expect(done).rejects.toThrow('caller gone');
    expect(clock.pendingTimers).toBe(0);
  });

  it('emits onTimeout with the limit', async () => {
    const clock = new ManualClock();
    const policy = timeout(25, { clock });
    const events: number[] = [];
    policy.onTimeout(({ timeoutMs }) => events.push(timeoutMs));
    const done = policy.execute(work(clock, 100)).catch(() => {});
    await clock.tickAsync(25);
    await done;
    expect(events).toEqual([25]);
  });

  it('names the operation in the error message', async () => {
    const clock = new ManualClock();
    const done = timeout(5, { clock, operation: 'Loading the profile' }).execute(work(clock, 10));
    const check = expect(done).rejects.toThrow('Loading the profile timed out after 5 ms.');
    await clock.tickAsync(5);
    await check;
  });

  it('rejects a negative limit at construction', () => {
    expect(() => timeout(-1)).toThrow(/ms: must be a finite number >= 0 or Infinity \(got -1\)/);
    expect(
      isValidationError(
        (() => {
          try {
            return timeout(NaN);
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
  });

  it('rejects an unknown strategy', () => {
    expect(() => timeout(1, { strategy: 'pessimistic' as never })).toThrow(/strategy/);
  });
});
