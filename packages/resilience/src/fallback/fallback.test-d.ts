import { describe, expectTypeOf, it } from 'vitest';
import { pipeline } from '../pipeline/pipeline.js';
import { retry } from '../retry/retry.js';
import { fallback } from './fallback.js';

describe('fallback types', () => {
  it('widens the result by the fallback type', () => {
    expectTypeOf(fallback(null).execute(() => 1)).resolves.toEqualTypeOf<number | null>();
  });

  it('infers the fallback type from a handler', () => {
    expectTypeOf(fallback(async () => 'cached').execute(() => 1)).resolves.toEqualTypeOf<number | string>();
  });

  it('carries the widening through a pipeline', () => {
    expectTypeOf(pipeline(fallback(null), retry()).execute(() => 1)).resolves.toEqualTypeOf<number | null>();
  });
});
