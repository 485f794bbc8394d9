import { createCommand, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { idempotencyMiddleware } from './idempotencyMiddleware.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A bus whose Pay handler waits for `gate`, records its signal and counts its runs. */
function gatedBus(store = new InMemoryIdempotencyStore()) {
  const bus = createCommandBus({ middleware: [idempotencyMiddleware({ store, pollMs: 10 })] });
  const gate = deferred<string>();
  const signals: AbortSignal[] = [];
  bus.register('Pay', async (_command, { signal }) => {
    signals.push(signal);
    return Promise.race([
      gate.promise,
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      ),
    ]);
  });
  return { bus, gate, signals, store };
}

/** Waits until the handler has started `count` times. */
async function started(signals: readonly AbortSignal[], count = 1): Promise<void> {
  while (signals.length < count) await new Promise((resolve) => setImmediate(resolve));
}

const pay = createCommand('Pay', { amount: 5 }, { metadata: { messageId: 'm-1' } });

describe('idempotencyMiddleware when callers cancel', () => {
  it('ends only the wait of the caller that aborted; the other copies get the one result', async () => {
    const { bus, gate, signals, store } = gatedBus();
    const leaving = new AbortController();
    const first = bus.execute(pay, { signal: leaving.signal }).catch((e: unknown) => e);
    const second = bus.execute(pay, { signal: new AbortController().signal });
    const third = bus.execute(pay);
    await started(signals);
    const reason = new Error('caller 1 gave up');
    leaving.abort(reason);
    expect(await first).toBe(reason);
    expect(signals[0]!.aborted).toBe(false);
    gate.resolve('paid');
    expect([await second, await third]).toEqual(['paid', 'paid']);
    expect(signals).toHaveLength(1);
    expect(await store.claim('command:m-1', 100)).toEqual({ status: 'completed', result: 'paid' });
  });

  it('keeps the claim when the first caller aborts, so the handler never runs twice', async () => {
    const { bus, gate, signals, store } = gatedBus();
    const leaving = new AbortController();
    const first = bus.execute(pay, { signal: leaving.signal }).catch((e: unknown) => e);
    const staying = bus.execute(pay, { signal: new AbortController().signal });
    await started(signals);
    leaving.abort(new Error('gone'));
    await first;
    expect(await store.claim('command:m-1', 100)).toEqual({ status: 'pending' });
    const late = bus.execute(pay);
    gate.resolve('paid');
    expect([await staying, await late]).toEqual(['paid', 'paid']);
    expect(signals).toHaveLength(1);
  });

  it('aborts the handler with the last reason once every caller left, and gives the claim up', async () => {
    const { bus, signals, store } = gatedBus();
    const a = new AbortController();
    const b = new AbortController();
    const first = bus.execute(pay, { signal: a.signal }).catch((e: unknown) => e);
    const second = bus.execute(pay, { signal: b.signal }).catch((e: unknown) => e);
    await started(signals);
    a.abort(new Error('a left'));
    await first;
    expect(signals[0]!.aborted).toBe(false);
    const last = new Error('b left');
    b.abort(last);
    expect(await second).toBe(last);
    expect(signals[0]!.reason).toBe(last);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await store.claim('command:m-1', 100)).status).toBe('claimed');
    expect(signals).toHaveLength(1);
  });

  it('never aborts the handler while a caller without a signal waits', async () => {
    const { bus, gate, signals } = gatedBus();
    const leaving = new AbortController();
    const first = bus.execute(pay, { signal: leaving.signal }).catch((e: unknown) => e);
    const patient = bus.execute(pay);
    await started(signals);
    leaving.abort(new Error('gone'));
    await first;
    expect(signals[0]!.aborted).toBe(false);
    gate.resolve('paid');
    expect(await patient).toBe('paid');
  });

  it('gives a caller arriving after everyone else aborted a fresh run, not their abort', async () => {
    const { bus, gate, signals } = gatedBus();
    const leaving = new AbortController();
    const first = bus.execute(pay, { signal: leaving.signal }).catch((e: unknown) => e);
    await started(signals);
    leaving.abort(new Error('gone'));
    await first;
    const fresh = bus.execute(pay);
    gate.resolve('paid');
    await expect(fresh).resolves.toBe('paid');
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
  });

  it('rejects at once with the reason of a signal that is already aborted and claims nothing', async () => {
    const { bus, signals, store } = gatedBus();
    const reason = new Error('too late');
    await expect(bus.execute(pay, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(signals).toHaveLength(0);
    expect((await store.claim('command:m-1', 100)).status).toBe('claimed');
  });
});

describe('idempotencyMiddleware polling another worker', () => {
  it('stops polling when its only caller aborts, without touching the holder’s claim', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const holder = await store.claim('command:m-1', 60_000);
    const bus = createCommandBus({ middleware: [idempotencyMiddleware({ store, clock, pollMs: 10 })] });
    bus.register('Pay', () => 'never');
    const controller = new AbortController();
    const waiting = bus.execute(pay, { signal: controller.signal }).catch((e: unknown) => e);
    await clock.tickAsync(25);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(holder.status).toBe('claimed');
    expect(await store.claim('command:m-1', 100)).toEqual({ status: 'pending' });
  });
});

describe('idempotencyMiddleware when the caller aborts while the store answers', () => {
  it('gives back a claim granted after its only caller left, and runs nothing', async () => {
    const store = new InMemoryIdempotencyStore();
    const claim = store.claim.bind(store);
    const answer = deferred();
    store.claim = async (...args) => {
      await answer.promise;
      return claim(...args);
    };
    const bus = createCommandBus({ middleware: [idempotencyMiddleware({ store })] });
    let runs = 0;
    bus.register('Pay', () => ++runs);
    const controller = new AbortController();
    const waiting = bus.execute(pay, { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('left during claim');
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    answer.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    store.claim = claim;
    expect(runs).toBe(0);
    expect((await store.claim('command:m-1', 100)).status).toBe('claimed');
  });
});
