import { createLogger, ManualClock } from '@keel/core';
import type { LogEntry, Policy } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createCacheAside } from './cacheAside.js';
import type { CacheAsideEntry, CacheAsideOptions } from './cacheAside.js';
import { MemoryCacheStore } from './memoryCacheStore.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: CacheAsideOptions = {}, loaderImpl?: (key: string) => Promise<string | undefined>) {
  const clock = new ManualClock(1_000_000);
  const store = new MemoryCacheStore<string, CacheAsideEntry<string | undefined>>({ clock });
  const loader = vi.fn(loaderImpl ?? (async (key: string) => `value of ${key}`));
  const cache = createCacheAside(store, loader, { clock, ...options });
  return { clock, store, loader, cache };
}

describe('createCacheAside', () => {
  it('loads a missing key once and serves it from the store afterwards', async () => {
    const { cache, loader } = setup();
    expect(await cache.get('a')).toBe('value of a');
    expect(await cache.get('a')).toBe('value of a');
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('reloads after the TTL', async () => {
    const { cache, loader, clock } = setup({ ttl: 1_000 });
    await cache.get('a');
    clock.advance(1_000);
    await cache.get('a');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('calls the loader once for N concurrent misses and gives every caller its result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), async (callers) => {
        const gate = deferred<string>();
        const { cache, loader } = setup({}, () => gate.promise);
        const reads = Array.from({ length: callers }, () => cache.get('hot'));
        await settle();
        gate.resolve('loaded');
        expect(await Promise.all(reads)).toEqual(Array.from({ length: callers }, () => 'loaded'));
        expect(loader).toHaveBeenCalledTimes(1);
      }),
      { seed: 7, numRuns: 30 },
    );
  });

  it('rejects every waiting caller when the load fails and caches nothing', async () => {
    const gate = deferred<string>();
    const { cache, loader, store } = setup({}, () => gate.promise);
    const reads = [cache.get('a'), cache.get('a'), cache.get('a')];
    await settle();
    gate.reject(new Error('database down'));
    const results = await Promise.allSettled(reads);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await store.get('a')).toBeUndefined();
    loader.mockImplementation(async () => 'recovered');
    expect(await cache.get('a')).toBe('recovered');
  });

  it('serves a stale value within staleWhileRevalidate and refreshes it once in the background', async () => {
    let version = 0;
    const { cache, loader, clock } = setup(
      { ttl: 1_000, staleWhileRevalidate: 500 },
      async () => `v${++version}`,
    );
    await cache.get('a');
    clock.advance(1_200);
    expect(await Promise.all([cache.get('a'), cache.get('a')])).toEqual(['v1', 'v1']);
    await settle();
    expect(await cache.get('a')).toBe('v2');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('loads in the foreground once the stale window has passed too', async () => {
    let version = 0;
    const { cache, clock } = setup({ ttl: 1_000, staleWhileRevalidate: 500 }, async () => `v${++version}`);
    await cache.get('a');
    clock.advance(1_500);
    expect(await cache.get('a')).toBe('v2');
  });

  it('keeps serving the stale value when the background refresh fails, and logs it', async () => {
    const logged: LogEntry[] = [];
    const logger = createLogger((entry) => logged.push(entry));
    const { cache, loader, clock } = setup({ ttl: 1_000, staleWhileRevalidate: 5_000, logger });
    await cache.get('a');
    loader.mockRejectedValue(new Error('flaky'));
    clock.advance(1_000);
    expect(await cache.get('a')).toBe('value of a');
    await settle();
    expect(await cache.get('a')).toBe('value of a');
    expect(logged.some((entry) => entry.message.includes('background refresh failed'))).toBe(true);
  });

  it('shortens each TTL by the jitter share drawn from the injected random source', async () => {
    const { cache, store, clock } = setup({ ttl: 10_000, jitter: 0.2, random: () => 0.5 });
    await cache.get('a');
    const entry = await store.get('a');
    expect(entry!.freshUntil - clock.now()).toBe(9_000);
  });

  it('recomputes early (XFetch) when -loadMs × beta × ln(random) reaches the remaining TTL', async () => {
    const clock = new ManualClock(0);
    let version = 0;
    let draw = 0.999;
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>({ clock });
    const loader = vi.fn(async () => {
      await clock.sleep(100);
      return `v${++version}`;
    });
    const cache = createCacheAside(store, loader, {
      clock,
      ttl: 1_000,
      earlyRecompute: 1,
      random: () => draw,
    });
    const first = cache.get('a');
    await clock.tickAsync(100);
    await first;
    clock.advance(900); // fresh until 1_100 (loaded at 100): 100 ms left; loadMs = 100
    await cache.get('a'); // -100 × ln(0.999) ≈ 0.1 < 100: no early refresh
    expect(loader).toHaveBeenCalledTimes(1);
    draw = 0.3; // -100 × ln(0.3) ≈ 120 >= 100: refresh now
    expect(await cache.get('a')).toBe('v1');
    await settle();
    expect(loader).toHaveBeenCalledTimes(2);
    await clock.tickAsync(100);
    expect(await cache.get('a')).toBe('v2');
  });

  it('caches a missing result for negativeTtl', async () => {
    const { cache, loader, clock } = setup({ negativeTtl: 1_000 }, async () => undefined);
    expect(await cache.get('ghost')).toBeUndefined();
    expect(await cache.get('ghost')).toBeUndefined();
    expect(loader).toHaveBeenCalledTimes(1);
    clock.advance(1_000);
    await cache.get('ghost');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('does not cache a missing result without negativeTtl', async () => {
    const { cache, loader } = setup({}, async () => undefined);
    await cache.get('ghost');
    await cache.get('ghost');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('lets one caller stop waiting on abort while the others still get the value', async () => {
    const gate = deferred<string>();
    const { cache } = setup({}, () => gate.promise);
    const controller = new AbortController();
    const impatient = cache.get('a', { signal: controller.signal });
    const patient = cache.get('a');
    await settle();
    controller.abort(new Error('gave up'));
    await expect(impatient).rejects.toThrow('gave up');
    gate.resolve('late');
    expect(await patient).toBe('late');
  });

  it('aborts the load once every waiting caller has aborted', async () => {
    let loadSignal: AbortSignal | undefined;
    const clock = new ManualClock();
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>({ clock });
    const cache = createCacheAside(
      store,
      (_key, { signal }) => {
        loadSignal = signal;
        return new Promise<string>(() => {});
      },
      { clock },
    );
    const controller = new AbortController();
    const read = cache.get('a', { signal: controller.signal });
    await settle();
    controller.abort();
    await expect(read).rejects.toThrow();
    expect(loadSignal?.aborted).toBe(true);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const { cache, loader } = setup();
    await expect(cache.get('a', { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    expect(loader).not.toHaveBeenCalled();
  });

  it('does not store the result of a load that was in flight when the key was deleted', async () => {
    const gate = deferred<string>();
    const { cache, store } = setup({}, () => gate.promise);
    const read = cache.get('a');
    await settle();
    await cache.delete('a');
    gate.resolve('stale');
    expect(await read).toBe('stale');
    expect(await store.get('a')).toBeUndefined();
  });

  it('set stores a known value that later reads return without loading', async () => {
    const { cache, loader } = setup();
    await cache.set('a', 'written');
    expect(await cache.get('a')).toBe('written');
    expect(loader).not.toHaveBeenCalled();
  });

  it('refresh reloads even when a fresh value is cached', async () => {
    let version = 0;
    const { cache } = setup({}, async () => `v${++version}`);
    await cache.get('a');
    expect(await cache.refresh('a')).toBe('v2');
    expect(await cache.get('a')).toBe('v2');
  });

  it('getMany reads the store once and loads only the misses', async () => {
    const { cache, loader } = setup();
    await cache.set('a', 'cached');
    expect(await cache.getMany(['a', 'b'])).toEqual(['cached', 'value of b']);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('falls back to the loader when the store fails to read', async () => {
    const { cache, store } = setup();
    vi.spyOn(store, 'get').mockRejectedValue(new Error('store down'));
    expect(await cache.get('a')).toBe('value of a');
  });

  it('runs every load through the given policy', async () => {
    const seen: string[] = [];
    const policy: Policy = {
      execute: async (fn, signal) => {
        seen.push('policy');
        return fn({ signal: signal ?? new AbortController().signal });
      },
    };
    const { cache } = setup({ policy });
    await cache.get('a');
    expect(seen).toEqual(['policy']);
  });

  it('rejects options out of range', () => {
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>();
    expect(() => createCacheAside(store, async () => 'x', { ttl: 0, jitter: 2 })).toThrow(/ttl.*jitter/s);
  });
});
