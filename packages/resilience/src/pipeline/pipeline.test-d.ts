import type { Policy, PolicyContext } from '@keel/core';
import { describe, expectTypeOf, it } from 'vitest';
import { circuitBreaker } from '../circuitBreaker/circuitBreaker.js';
import { retry } from '../retry/retry.js';
import { timeout } from '../timeout/timeout.js';
import type { ContextOf, ResiliencePolicy } from './pipeline.js';
import { pipeline } from './pipeline.js';

describe('pipeline types', () => {
  it('infers the context of a policy', () => {
    expectTypeOf<ContextOf<ReturnType<typeof retry>>>().toHaveProperty('attempt');
  });

  it('is a core Policy when no layer widens the result', () => {
    const composed = pipeline(retry(), circuitBreaker(), timeout(10));
    expectTypeOf(composed).toExtend<Policy>();
  });

  it('hands the merged context (signal and attempt) to the function', () => {
    const composed = pipeline(timeout(10), retry());
    void composed.execute((context) => {
      expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(context.attempt).toEqualTypeOf<number>();
      return 1;
    });
  });

  it('resolves to the function result', () => {
    const composed = pipeline(retry(), timeout(10));
    expectTypeOf(composed.execute(() => 'x')).resolves.toEqualTypeOf<string>();
  });

  it('widens the result by what a layer may substitute', () => {
    const widening = {} as ResiliencePolicy<PolicyContext, null>;
    const composed = pipeline(widening, retry());
    expectTypeOf(composed.execute(() => 'x')).resolves.toEqualTypeOf<string | null>();
  });
});
