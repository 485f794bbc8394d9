import { describe, expect, it } from 'vitest';
import { ManualClock, NEVER_ABORTED } from '@keel/core';
import type { PolicyContext } from '@keel/core';
import { bulkhead } from '../bulkhead/bulkhead.js';
import { circuitBreaker } from '../circuitBreaker/circuitBreaker.js';
import { fallback } from '../fallback/fallback.js';
import { retry } from '../retry/retry.js';
import { contextFor, isInert } from './signal.js';

describe('contextFor', () => {
  it('gives a call without a signal an inert context whose own signal never aborts', () => {
    for (const signal of [undefined, NEVER_ABORTED]) {
      const context = contextFor(signal);
      expect(isInert(context)).toBe(true);
      expect(context.signal).not.toBe(NEVER_ABORTED);
      expect(context.signal.aborted).toBe(false);
      expect(context.signal).toBe(context.signal); // made once, on the first read
      expect(contextFor(signal).signal).not.toBe(context.signal);
    }
  });

  it("hands a caller's signal on as it is, and that context is not inert", () => {
    const controller = new AbortController();
    const context = contextFor(controller.signal);
    expect(context.signal).toBe(controller.signal);
    expect(isInert(context)).toBe(false);
  });
});

describe('the context a policy hands its function', () => {
  const policies = {
    retry: () => retry({ clock: new ManualClock() }),
    breaker: () => circuitBreaker({ clock: new ManualClock() }),
    bulkhead: () => bulkhead(2),
    fallback: () => fallback('spare'),
  };

  it.each(Object.entries(policies))(
    '%s: a never-aborted signal of its own per call without a signal',
    async (_, make) => {
      const policy = make();
      const seen: AbortSignal[] = [];
      const fn = (context: PolicyContext): string => {
        seen.push(context.signal);
        return 'ok';
      };
      await policy.execute(fn);
      await policy.execute(fn, NEVER_ABORTED);
      expect(seen).toHaveLength(2);
      expect(seen).not.toContain(NEVER_ABORTED);
      expect(seen[0]).not.toBe(seen[1]);
      expect(seen.every((signal) => !signal.aborted)).toBe(true);
    },
  );
});
