import { describe, expect, it } from 'vitest';
import { isSagaConfigError } from '../errors/errors.js';
import { defineSaga } from './defineSaga.js';

const run = () => 1;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('defineSaga', () => {
  it('keeps the steps in the order they were added', () => {
    const saga = defineSaga('s').step('a', { run }).step('b', { run }).step('c', { run });
    expect(saga.steps.map((step) => step.name)).toEqual(['a', 'b', 'c']);
  });

  it('returns a new definition from each call and leaves the earlier one unchanged', () => {
    const base = defineSaga('s').step('a', { run });
    const longer = base.step('b', { run }).deadline(1_000);
    expect(base.steps).toHaveLength(1);
    expect(base.deadlineMs).toBeUndefined();
    expect(longer.steps).toHaveLength(2);
    expect(longer.deadlineMs).toBe(1_000);
  });

  it('rejects an empty saga name', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('')))).toBe(true);
  });

  it('rejects a duplicate step name', () => {
    const base = defineSaga('s').step('a', { run });
    expect(thrown(() => base.step('a' as never, { run }))).toMatchObject({
      code: 'SAGA_CONFIG_INVALID',
      message: expect.stringContaining('"a"'),
    });
  });

  it('rejects a step without a run function', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('s').step('a', {} as never)))).toBe(true);
  });

  it('rejects a non-positive step timeout or deadline', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('s').step('a', { run, timeoutMs: 0 })))).toBe(true);
    expect(isSagaConfigError(thrown(() => defineSaga('s').deadline(Number.NaN)))).toBe(true);
  });

  it('rejects input() after the first step', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('s').step('a', { run }).input()))).toBe(true);
  });
});
