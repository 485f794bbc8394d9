import { describe, expect, it, vi } from 'vitest';
import { MemoryCacheStore } from './memoryCacheStore.js';
import { createWriteThrough } from './writeThrough.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((yes) => (resolve = yes));
  return { promise, resolve };
}

describe('createWriteThrough', () => {
  it('writes the source first, then the cache', async () => {
    const cache = new MemoryCacheStore<string, number>();
    const order: string[] = [];
    vi.spyOn(cache, 'set').mockImplementation(async () => void order.push('cache'));
    const writes = createWriteThrough(cache, async () => void order.push('source'));
    await writes.set('a', 1);
    expect(order).toEqual(['source', 'cache']);
  });

  it('rejects and invalidates the cached value when the source write fails', async () => {
    const cache = new MemoryCacheStore<string, number>();
    await cache.set('a', 1);
    const writes = createWriteThrough(cache, async () => {
      throw new Error('constraint violated');
    });
    await expect(writes.set('a', 2)).rejects.toThrow('constraint violated');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('applies writes of one key in call order even when the first source write is slower', async () => {
    const cache = new MemoryCacheStore<string, number>();
    const slow = deferred();
    const writes = createWriteThrough<string, number>(cache, async (_key, value) => {
      if (value === 1) await slow.promise;
    });
    const first = writes.set('a', 1);
    const second = writes.set('a', 2);
    slow.resolve();
    await Promise.all([first, second]);
    expect(await cache.get('a')).toBe(2);
  });

  it('invalidates the key when the cache update fails after the source write', async () => {
    const cache = new MemoryCacheStore<string, number>();
    await cache.set('a', 1);
    vi.spyOn(cache, 'set').mockRejectedValue(new Error('cache full'));
    const writes = createWriteThrough(cache, async () => {});
    await writes.set('a', 2);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('delete removes the key from the source and the cache', async () => {
    const cache = new MemoryCacheStore<string, number>();
    await cache.set('a', 1);
    const remove = vi.fn(async () => {});
    const writes = createWriteThrough(cache, async () => {}, { remove });
    await writes.delete('a');
    expect(remove).toHaveBeenCalledWith('a', expect.objectContaining({ signal: expect.any(AbortSignal) }));
    expect(await cache.get('a')).toBeUndefined();
  });

  it('delete rejects and drops the cached value when the source removal fails', async () => {
    const cache = new MemoryCacheStore<string, number>();
    await cache.set('a', 1);
    const writes = createWriteThrough<string, number>(cache, async () => {}, {
      remove: async () => {
        throw new Error('timeout after commit');
      },
    });
    await expect(writes.delete('a')).rejects.toThrow('timeout after commit');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('gives the writer a signal that follows the caller’s, and rejects at once when it is already aborted', async () => {
    const cache = new MemoryCacheStore<string, number>();
    const write = vi.fn(async () => {});
    const writes = createWriteThrough(cache, write);
    await expect(writes.set('a', 1, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow(
      'stop',
    );
    expect(write).not.toHaveBeenCalled();
    let seen: AbortSignal | undefined;
    const slow = createWriteThrough(cache, (_key, _value, { signal }) => {
      seen = signal;
      return new Promise<void>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      );
    });
    const controller = new AbortController();
    const pending = slow.set('a', 1, { signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen?.aborted).toBe(false);
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(seen?.reason).toEqual(new Error('caller gave up'));
  });
});
