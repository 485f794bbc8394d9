import { isValidationError, noopPolicy } from '@keel/core';
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

  it('rejects a step without a run function with a ValidationError', () => {
    expect(isValidationError(thrown(() => defineSaga('s').step('a', {} as never)))).toBe(true);
    expect(isValidationError(thrown(() => defineSaga('s').step('a', { run: undefined } as never)))).toBe(
      true,
    );
    expect(isValidationError(thrown(() => defineSaga('s').step('a', undefined as never)))).toBe(true);
  });

  it('rejects a non-positive or NaN step timeout or deadline with a ValidationError', () => {
    for (const bad of [0, -1, Number.NaN, '5' as unknown as number]) {
      expect(isValidationError(thrown(() => defineSaga('s').step('a', { run, timeoutMs: bad })))).toBe(true);
      expect(isValidationError(thrown(() => defineSaga('s').deadline(bad)))).toBe(true);
    }
    expect(isValidationError(thrown(() => defineSaga('s').deadline(undefined as never)))).toBe(true);
  });

  it('refuses a retry or compensation that is not a Policy or a function, listing every problem', () => {
    const error = thrown(() =>
      defineSaga('s').step('a', {
        run,
        compensate: 'undo' as never,
        retry: { maxRetries: 3 } as never,
        compensationRetry: (() => {}) as never,
      }),
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as { issues: { path: string[] }[] }).issues.map((issue) => issue.path[0])).toEqual([
      'compensate',
      'retry',
      'compensationRetry',
    ]);
  });

  it('treats undefined step options as their defaults and Infinity as no time limit', () => {
    const saga = defineSaga('s')
      .step('a', {
        run,
        compensate: undefined,
        retry: undefined,
        compensationRetry: undefined,
        timeoutMs: undefined,
      })
      .step('b', { run, retry: noopPolicy, timeoutMs: Infinity })
      .deadline(Infinity);
    expect(saga.steps[0]).toEqual({ name: 'a', run });
    expect('timeoutMs' in saga.steps[1]!).toBe(false);
    expect(saga.deadlineMs).toBeUndefined();
  });

  it('refuses saga and step names that a store cannot hold', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('a\u0000b')))).toBe(true);
    expect(isSagaConfigError(thrown(() => defineSaga('s').step('\uD800' as string, { run })))).toBe(true);
  });

  it('rejects input() after the first step', () => {
    expect(isSagaConfigError(thrown(() => defineSaga('s').step('a', { run }).input()))).toBe(true);
  });
});
