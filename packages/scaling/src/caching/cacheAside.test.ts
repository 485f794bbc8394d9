import { createLogger, ManualClock } from '@keel/core';
import type { LogEntry, Policy } from '@keel/core';
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createCacheAside } from './cacheAside.js';
import type { CacheAsideEntry, CacheAsideOptions } from './cacheAside.js';
import type { CacheStore } from './cacheStore.js';
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
    expect(entry!.freshUntil! - clock.now()).toBe(9_000);
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

/**
 * A store that keeps entries as JSON text with plain `JSON.stringify`, as a Redis store with a
 * JSON serializer does: `Infinity` would come back as `null`.
 */
class JsonTextStore implements CacheStore<string, CacheAsideEntry<unknown>> {
  readonly texts = new Map<string, string>();
  async get(key: string) {
    const text = this.texts.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as CacheAsideEntry<unknown>);
  }
  async getMany(keys: readonly string[]) {
    return Promise.all(keys.map((key) => this.get(key)));
  }
  async set(key: string, value: CacheAsideEntry<unknown>) {
    this.texts.set(key, JSON.stringify(value));
  }
  async setMany(entries: readonly { key: string; value: CacheAsideEntry<unknown> }[]) {
    for (const entry of entries) await this.set(entry.key, entry.value);
  }
  async delete(key: string) {
    return this.texts.delete(key);
  }
  async deleteMany(keys: readonly string[]) {
    let removed = 0;
    for (const key of keys) if (this.texts.delete(key)) removed++;
    return removed;
  }
  async clear() {
    this.texts.clear();
  }
}

describe('createCacheAside with ttl: Infinity on a JSON store', () => {
  it('hits on every read after the first load, forever', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new JsonTextStore();
    const loader = vi.fn(async (key: string) => `value of ${key}`);
    const cache = createCacheAside(store, loader, { clock, ttl: Infinity, earlyRecompute: 1 });
    await cache.get('a');
    clock.advance(10 * 365 * 24 * 3_600_000);
    expect(await cache.get('a')).toBe('value of a');
    expect(await cache.getMany(['a'])).toEqual(['value of a']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(JSON.parse(store.texts.get('a')!)).toMatchObject({ freshUntil: null, staleUntil: null });
  });

  it('serves stale values forever with staleWhileRevalidate: Infinity, refreshing in the background', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new JsonTextStore();
    let version = 0;
    const cache = createCacheAside(store, async () => ++version, {
      clock,
      ttl: 1_000,
      staleWhileRevalidate: Infinity,
    });
    await cache.get('a');
    clock.advance(1e9);
    expect(await cache.get('a')).toBe(1);
    await settle();
    expect(await cache.get('a')).toBe(2);
    expect(JSON.parse(store.texts.get('a')!)).toMatchObject({ staleUntil: null });
  });

  it('reads an entry whose expiry JSON turned into null (as earlier versions wrote it) as never expiring', async () => {
    const store = new JsonTextStore();
    store.texts.set(
      'a',
      JSON.stringify({ value: 'kept', freshUntil: Infinity, staleUntil: Infinity, loadMs: 3 }),
    );
    const loader = vi.fn(async () => 'reloaded');
    const cache = createCacheAside(store, loader);
    expect(await cache.get('a')).toBe('kept');
    expect(loader).not.toHaveBeenCalled();
  });

  it('treats something that is not an entry as a miss and loads', async () => {
    const store = new JsonTextStore();
    store.texts.set('a', JSON.stringify('not an entry'));
    store.texts.set('b', JSON.stringify({ value: 1, freshUntil: 'soon', staleUntil: 0 }));
    const cache = createCacheAside(store, async (key: string) => `loaded ${key}`);
    expect(await cache.getMany(['a', 'b'])).toEqual(['loaded a', 'loaded b']);
  });

  it('caches a negative result forever with negativeTtl: Infinity', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new JsonTextStore();
    const loader = vi.fn(async () => null);
    const cache = createCacheAside(store, loader, { clock, negativeTtl: Infinity });
    await cache.get('gone');
    clock.advance(1e12);
    expect(await cache.get('gone')).toBeNull();
    expect(loader).toHaveBeenCalledTimes(1);
  });
});

describe('createCacheAside single flight after aborts', () => {
  it('starts a fresh load for a caller who arrives after every earlier caller aborted', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>({ clock });
    const loads: { signal: AbortSignal; gate: ReturnType<typeof deferred<string>> }[] = [];
    const aside = createCacheAside(
      store,
      (_key, { signal }) => {
        const gate = deferred<string>();
        loads.push({ signal, gate });
        return gate.promise;
      },
      { clock },
    );
    const first = new AbortController();
    const second = new AbortController();
    const leaving = [aside.get('k', { signal: first.signal }), aside.get('k', { signal: second.signal })];
    await settle();
    first.abort(new Error('first left'));
    second.abort(new Error('second left'));
    await expect(leaving[0]).rejects.toThrow('first left');
    await expect(leaving[1]).rejects.toThrow('second left');
    expect(loads).toHaveLength(1);
    expect(loads[0]!.signal.aborted).toBe(true);
    const late = aside.get('k');
    await settle();
    expect(loads).toHaveLength(2);
    loads[1]!.gate.resolve('fresh');
    expect(await late).toBe('fresh');
    // The abandoned load finishing late stores nothing over the fresh value.
    loads[0]!.gate.resolve('abandoned');
    await settle();
    expect(await aside.get('k')).toBe('fresh');
  });

  it('keeps the load running for callers still waiting when one of them aborts', async () => {
    const gate = deferred<string>();
    const { cache, loader } = setup({}, () => gate.promise);
    const leaving = new AbortController();
    const left = cache.get('k', { signal: leaving.signal });
    const staying = cache.get('k');
    await settle();
    leaving.abort(new Error('bye'));
    await expect(left).rejects.toThrow('bye');
    const joining = cache.get('k');
    gate.resolve('shared');
    expect(await Promise.all([staying, joining])).toEqual(['shared', 'shared']);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('shares one abort listener among many concurrent reads of one signal', async () => {
    const gate = deferred<string>();
    const { cache } = setup({}, () => gate.promise);
    const controller = new AbortController();
    const reads = Array.from({ length: 25 }, (_, index) =>
      cache.get(`k${index % 5}`, { signal: controller.signal }),
    );
    await settle();
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
    gate.resolve('done');
    await Promise.all(reads);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
