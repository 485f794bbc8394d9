// Waiting for permits: waiters queue per key, oldest first (as System.Threading.RateLimiting's
// QueueProcessingOrder.OldestFirst), only the oldest asks the store, and only when the store
// said its permits would be there. Nothing polls.
import { getEventListeners } from 'node:events';
import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isRateLimitedError } from '../errors/errors.js';
import type { RateLimitAlgorithm, RateLimitDecision } from './rateLimitAlgorithm.js';
import { rateLimiter } from './rateLimiter.js';
import type { RateLimiterPolicy } from './rateLimiter.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import type { RateLimitStore } from './rateLimitStore.js';
import { tokenBucket } from './tokenBucket.js';

/** A store that records every request (time, permits) and answers from memory, optionally async. */
function recordingStore(clock: ManualClock, remote = false) {
  const inner = new InMemoryRateLimitStore();
  const asked: string[] = [];
  const store: RateLimitStore = {
    consume(key: string, algorithm: RateLimitAlgorithm, permits: number, now: number) {
      asked.push(`${clock.now()}:${permits}`);
      const decision = inner.consume(key, algorithm, permits, now);
      // A remote store answers on a later turn of the event loop, like a Redis round trip.
      return remote
        ? new Promise<RateLimitDecision>((resolve) => setImmediate(() => resolve(decision)))
        : decision;
    },
  };
  return { store, asked };
}

/** Starts `acquire` calls in order and records when each one ends, and how. */
function start(
  limiter: RateLimiterPolicy,
  clock: ManualClock,
  calls: { permits?: number; signal?: AbortSignal }[],
) {
  const ended: string[] = [];
  const done = calls.map((options, index) =>
    limiter.acquire('k', options).then(
      () => ended.push(`${index}@${clock.now()}`),
      (error: unknown) =>
        ended.push(`${index}@${clock.now()}:${isRateLimitedError(error) ? 'refused' : String(error)}`),
    ),
  );
  return { ended, done: Promise.all(done) };
}

async function settle(clock: ManualClock): Promise<void> {
  // Remote answers arrive on setImmediate: let them in between timers.
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if ((await clock.runAllAsync()) === 0 && i > 3) return;
  }
}

const oneEvery100ms = (): RateLimitAlgorithm => tokenBucket({ capacity: 1, refillPerSecond: 10 });

describe('rateLimiter: waiting queue', () => {
  it('grants waiters oldest first, each when its permit is due', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(oneEvery100ms(), { clock, maxWait: 1_000 });
    const run = start(limiter, clock, [{}, {}, {}, {}, {}]);
    await settle(clock);
    await run.done;
    expect(run.ended).toEqual(['0@0', '1@100', '2@200', '3@300', '4@400']);
  });

  it('never polls: the store is asked once per arrival with nobody waiting, and once per wake-up', async () => {
    const clock = new ManualClock();
    const { store, asked } = recordingStore(clock);
    const limiter = rateLimiter(oneEvery100ms(), { clock, store, maxWait: 1_000 });
    const run = start(limiter, clock, [{}, {}, {}, {}, {}]);
    await settle(clock);
    await run.done;
    // Callers 0 and 1 ask on arrival; 2-4 join the queue silently. Each grant wakes the next
    // waiter, which asks once and sleeps until its permit is due.
    expect(asked).toEqual(['0:1', '0:1', '100:1', '100:1', '200:1', '200:1', '300:1', '300:1', '400:1']);
  });

  it('with a remote store, only the head asks, once per wake-up, never once per waiter', async () => {
    const clock = new ManualClock();
    const { store, asked } = recordingStore(clock, true);
    const limiter = rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), {
      clock,
      store,
      maxWait: 10_000,
    });
    await limiter.acquire('k');
    const first = start(limiter, clock, [{}]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(limiter.waiting('k')).toBe(1);
    // These arrive while someone waits: they queue without a round trip.
    const later = start(limiter, clock, [{}, {}]);
    await clock.tickAsync(999);
    expect(asked).toEqual(['0:1', '0:1']);
    await settle(clock);
    await Promise.all([first.done, later.done]);
    expect([...first.ended, ...later.ended]).toEqual(['0@1000', '0@2000', '1@3000']);
    expect(asked).toEqual(['0:1', '0:1', '1000:1', '1000:1', '2000:1', '2000:1', '3000:1']);
  });

  it('a later caller never overtakes a waiting one, even when it asks for fewer permits', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 10 }), { clock, maxWait: 1_000 });
    await limiter.acquire('k', { permits: 3 });
    const run = start(limiter, clock, [{ permits: 3 }, { permits: 1 }]);
    await clock.tickAsync(100);
    // One token is back: enough for the newcomer, but the older caller asked first.
    expect(run.ended).toEqual([]);
    await settle(clock);
    await run.done;
    expect(run.ended).toEqual(['0@300', '1@400']);
  });

  it('tryAcquire is refused while callers wait, without asking the store', async () => {
    const clock = new ManualClock();
    const { store, asked } = recordingStore(clock);
    const limiter = rateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 10 }), {
      clock,
      store,
      maxWait: 1_000,
    });
    await limiter.acquire('k', { permits: 3 });
    const run = start(limiter, clock, [{ permits: 3 }]);
    await clock.tickAsync(150);
    const before = asked.length;
    expect(await limiter.tryAcquire('k')).toEqual({ allowed: false, remaining: 0, retryAfter: 150 });
    expect(asked.length).toBe(before);
    expect(limiter.waiting('k')).toBe(1);
    await settle(clock);
    await run.done;
    expect(limiter.waiting('k')).toBe(0);
  });

  it('an aborted waiter leaves the queue at once with its reason, and the next one takes its turn', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(oneEvery100ms(), { clock, maxWait: 1_000 });
    await limiter.acquire('k');
    const controller = new AbortController();
    const run = start(limiter, clock, [{}, { signal: controller.signal }, {}]);
    await clock.tickAsync(50);
    controller.abort('client left');
    await clock.tickAsync(0);
    expect(run.ended).toEqual(['1@50:client left']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settle(clock);
    await run.done;
    expect(run.ended).toEqual(['1@50:client left', '0@100', '2@200']);
  });

  it('when the oldest waiter aborts, the next one is served at once if its permits are there', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 10 }), { clock, maxWait: 1_000 });
    await limiter.acquire('k', { permits: 3 });
    const controller = new AbortController();
    const run = start(limiter, clock, [{ permits: 3, signal: controller.signal }, { permits: 1 }]);
    await clock.tickAsync(150);
    controller.abort(new Error('gave up'));
    await clock.tickAsync(0);
    expect(run.ended).toEqual(['0@150:Error: gave up', '1@150']);
    await run.done;
    expect(clock.pendingTimers).toBe(0);
  });

  it('an abort while the store answers rejects at once with the reason', async () => {
    const clock = new ManualClock();
    const { store } = recordingStore(clock, true);
    const limiter = rateLimiter(oneEvery100ms(), { clock, store, maxWait: 1_000 });
    const controller = new AbortController();
    const pending = limiter.acquire('k', { signal: controller.signal });
    controller.abort('stop');
    await expect(pending).rejects.toBe('stop');
  });

  it('refuses a waiter when its turn comes with its permit due after its deadline, never later', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(oneEvery100ms(), { clock, maxWait: 200 });
    await limiter.acquire('k');
    const run = start(limiter, clock, [{}, {}, {}]);
    await settle(clock);
    await run.done;
    // The second waiter's permit comes at 200, exactly its deadline: granted. The third's would
    // come at 300: refused at 200, when its turn comes (its deadline).
    expect(run.ended).toEqual(['0@100', '1@200', '2@200:refused']);
  });

  it('refuses at once a caller whose permit comes after maxWait even with nobody waiting', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(tokenBucket({ capacity: 2, refillPerSecond: 10 }), { clock, maxWait: 150 });
    await limiter.acquire('k', { permits: 2 });
    const run = start(limiter, clock, [{ permits: 2 }]);
    await clock.tickAsync(0);
    expect(run.ended).toEqual(['0@0:refused']);
    expect(limiter.waiting('k')).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses the head when the store says its permits come after its deadline', async () => {
    const clock = new ManualClock();
    const { store } = recordingStore(clock);
    const limiter = rateLimiter(oneEvery100ms(), { clock, store, maxWait: 150 });
    const other = rateLimiter(oneEvery100ms(), { clock, store });
    await limiter.acquire('k');
    // Another limiter on the same store (another process) takes the token due at 100 first.
    clock.setTimeout(() => void other.tryAcquire('k'), 100);
    const run = start(limiter, clock, [{}]);
    await settle(clock);
    await run.done;
    // The next token comes at 200, after the deadline of 150: refused when that is known.
    expect(run.ended).toEqual(['0@100:refused']);
  });

  it('a store failure rejects the asking waiter and lets the next one ask', async () => {
    const clock = new ManualClock();
    const inner = new InMemoryRateLimitStore();
    let failNext = false;
    const store: RateLimitStore = {
      consume(key, algorithm, permits, now) {
        if (failNext) {
          failNext = false;
          throw new Error('store down');
        }
        return inner.consume(key, algorithm, permits, now);
      },
    };
    const limiter = rateLimiter(oneEvery100ms(), { clock, store, maxWait: 1_000 });
    await limiter.acquire('k');
    const run = start(limiter, clock, [{}, {}]);
    await clock.tickAsync(0);
    failNext = true;
    await settle(clock);
    await run.done;
    expect(run.ended).toEqual(['0@100:Error: store down', '1@100']);
  });

  it('leaves no timer, listener or queue behind', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(oneEvery100ms(), { clock, maxWait: 1_000 });
    const controller = new AbortController();
    const run = start(limiter, clock, [{ signal: controller.signal }, { signal: controller.signal }, {}]);
    await settle(clock);
    await run.done;
    expect(limiter.waiting('k')).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('keeps one queue per key', async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter(oneEvery100ms(), { clock, maxWait: 1_000 });
    await limiter.acquire('a');
    const waiting = limiter.acquire('a');
    await expect(limiter.acquire('b')).resolves.toMatchObject({ allowed: true });
    expect(limiter.waiting('a')).toBe(1);
    await clock.tickAsync(100);
    await expect(waiting).resolves.toMatchObject({ allowed: true });
  });
});
