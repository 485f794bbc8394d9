import { describe, expect, it } from 'vitest';
import { fallback } from './fallback.js';
import type { FallbackOutcome } from './fallback.js';

describe('fallback', () => {
  it('returns the result when the call succeeds', async () => {
    await expect(fallback('spare').execute(() => 'real')).resolves.toBe('real');
  });

  it('returns the fallback value when the call fails', async () => {
    await expect(fallback('spare').execute(() => Promise.reject(new Error('x')))).resolves.toBe('spare');
  });

  it('computes the fallback from the failed outcome', async () => {
    const policy = fallback((outcome: FallbackOutcome) =>
      'error' in outcome ? `recovered from ${(outcome.error as Error).message}` : 'n/a',
    );
    await expect(policy.execute(() => Promise.reject(new Error('boom')))).resolves.toBe(
      'recovered from boom',
    );
  });

  it('rethrows errors the predicate does not handle', async () => {
    const policy = fallback('spare', { handle: (error) => !(error instanceof TypeError) });
    await expect(policy.execute(() => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug');
  });

  it('replaces results matched by the result predicate', async () => {
    const policy = fallback(
      { status: 200, cached: true },
      { handleResult: (r) => (r as { status: number }).status >= 500 },
    );
    await expect(policy.execute(async () => ({ status: 503 }))).resolves.toEqual({
      status: 200,
      cached: true,
    });
  });

  it('does not substitute when the caller aborted, and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const policy = fallback('spare');
    const done = policy.execute(async () => {
      controller.abort(new Error('gone'));
      throw new Error('aborted work');
    }, controller.signal);
    await expect(done).rejects.toThrow('gone');
  });

  it('emits onFallback with the replaced outcome', async () => {
    const policy = fallback(0);
    const seen: unknown[] = [];
    policy.onFallback((outcome) => seen.push(outcome));
    await policy.execute(() => Promise.reject(new Error('x')));
    expect(seen).toEqual([{ error: new Error('x') }]);
  });

  it('rejects a handler error so the caller sees it', async () => {
    const policy = fallback(() => {
      throw new Error('no spare either');
    });
    await expect(policy.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('no spare either');
  });

  it('rejects a non-function predicate at construction', () => {
    expect(() => fallback(1, { handle: 'all' as never })).toThrow(/handle: must be a function/);
  });
});
