// The code docs/guides/choosing-policies.md quotes lives in readme/choosingPolicies.snippet.ts
// (scripts/check-guide-excerpts.mjs keeps the two equal); this runs it and checks its policies.
import { describe, expect, it } from 'vitest';

const guide = await import('./readme/choosingPolicies.snippet.js');

describe('docs/guides/choosing-policies.md', () => {
  it('the ordered pipeline returns the live prices', () => {
    expect(guide.prices).toEqual({ apple: 2 });
  });

  it('the retry policy does not retry a TypeError', async () => {
    let calls = 0;
    const failing = guide.policy.execute(() => {
      calls++;
      throw new TypeError('bug');
    });
    await expect(failing).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });

  it('the breaker is built closed', () => {
    expect(guide.breaker.state).toBe('closed');
  });

  it('the rate limiter and the hedge answer', () => {
    expect([guide.reply, guide.user]).toEqual(['handled /orders', { id: 'user-7' }]);
  });
});
