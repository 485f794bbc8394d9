import { describe, expect, it } from 'vitest';
import type { Policy, PolicyContext } from './policy.js';
import { noopPolicy } from './policy.js';

describe('Policy', () => {
  it('noopPolicy runs the function with a signal and returns its result', async () => {
    let seen: AbortSignal | undefined;
    const result = await noopPolicy.execute(({ signal }) => {
      seen = signal;
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toBeInstanceOf(AbortSignal);
  });

  it('noopPolicy passes the caller signal through', async () => {
    const controller = new AbortController();
    await noopPolicy.execute(({ signal }) => expect(signal).toBe(controller.signal), controller.signal);
  });

  it('noopPolicy rejects with the abort reason without calling the function when already aborted', async () => {
    let called = false;
    const reason = new Error('too late');
    await expect(noopPolicy.execute(() => (called = true), AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it('any object with execute implements the interface, with an extended context', async () => {
    interface AttemptContext extends PolicyContext {
      readonly attempt: number;
    }
    const twice: Policy<AttemptContext> = {
      async execute(fn, signal) {
        const ctx = { signal: signal ?? new AbortController().signal };
        try {
          return await fn({ ...ctx, attempt: 1 });
        } catch {
          return fn({ ...ctx, attempt: 2 });
        }
      },
    };
    const result = await twice.execute(({ attempt }) => {
      if (attempt === 1) throw new Error('flaky');
      return `ok on ${attempt}`;
    });
    expect(result).toBe('ok on 2');
  });
});
