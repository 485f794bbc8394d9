import { isValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catchError } from '../internal/catchError.fixture.js';
import { schemaIssues } from './schemaIssues.js';
import { ValueObject } from './valueObject.js';

const MoneySchema = z.object({
  amount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO code'),
});

class Money extends ValueObject<z.infer<typeof MoneySchema>> {
  get amount(): number {
    return this.props.amount;
  }
  protected override validate(props: z.infer<typeof MoneySchema>) {
    return schemaIssues(MoneySchema, props);
  }
}

type Line = { sku: string; quantity: number };
class Basket extends ValueObject<{ lines: Line[]; note: { text: string }; price: Money }> {
  protected override validate(props: { lines: Line[] }): ValidationIssue[] {
    return props.lines.flatMap((line, index) =>
      line.quantity > 0
        ? []
        : [{ path: ['lines', index, 'quantity'], message: `must be positive; got ${line.quantity}` }],
    );
  }
}

class Tag extends ValueObject<{ name: string }> {}

const basket = (lines: Line[] = [{ sku: 'a', quantity: 1 }]) =>
  new Basket({ lines, note: { text: 'gift' }, price: new Money({ amount: 5, currency: 'EUR' }) });

describe('ValueObject', () => {
  it('is equal to another instance of the same class with the same props', () => {
    expect(
      new Money({ amount: 10, currency: 'EUR' }).equals(new Money({ amount: 10, currency: 'EUR' })),
    ).toBe(true);
    expect(
      new Money({ amount: 10, currency: 'EUR' }).equals(new Money({ amount: 11, currency: 'EUR' })),
    ).toBe(false);
  });

  it('is equal to an instance whose amount is -0 where the other has 0, as after a JSON round trip', () => {
    const negativeZero = new Money({ amount: -1 * 0, currency: 'EUR' });
    const zero = new Money({ amount: 0, currency: 'EUR' });
    expect(negativeZero.equals(zero)).toBe(true);
    expect(zero.equals(negativeZero)).toBe(true);
    expect(new Tag({ name: 'x' }).equals(new Tag({ name: 'y' }))).toBe(false);
  });

  it('compares nested arrays, objects and value objects by structure', () => {
    expect(basket().equals(basket())).toBe(true);
    expect(basket().equals(basket([{ sku: 'a', quantity: 2 }]))).toBe(false);
  });

  it('is never equal to a value of another class with the same props', () => {
    class Label extends ValueObject<{ name: string }> {}
    expect(new Tag({ name: 'x' }).equals(new Label({ name: 'x' }))).toBe(false);
    expect(new Tag({ name: 'x' }).equals({ props: { name: 'x' } })).toBe(false);
  });

  it('freezes the instance and every nested object and array', () => {
    const value = basket();
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.props)).toBe(true);
    expect(Object.isFrozen(value.props.lines)).toBe(true);
    expect(Object.isFrozen(value.props.lines[0])).toBe(true);
    expect(Object.isFrozen(value.props.note)).toBe(true);
    expect(() => {
      (value.props.lines as Line[]).push({ sku: 'b', quantity: 1 });
    }).toThrow(TypeError);
  });

  it('copies the props so later changes to the input do not leak in', () => {
    const lines = [{ sku: 'a', quantity: 1 }];
    const value = basket(lines);
    lines[0]!.quantity = 99;
    expect(value.props.lines[0]?.quantity).toBe(1);
    expect(Object.isFrozen(lines)).toBe(false);
  });

  it('lists every schema problem in one ValidationError', () => {
    const error = catchError(() => new Money({ amount: -1, currency: 'euro' }));
    expect(isValidationError(error)).toBe(true);
    const issues = (error as { issues: ValidationIssue[] }).issues;
    expect(issues.map((issue) => issue.path.join('.')).sort()).toEqual(['amount', 'currency']);
    expect((error as Error).message).toMatch(
      /^Invalid Money \(2 problems\): amount: .+; currency: must be a three-letter ISO code$/,
    );
  });

  it('lists every problem a validation function reports', () => {
    const error = catchError(() =>
      basket([
        { sku: 'a', quantity: 0 },
        { sku: 'b', quantity: -2 },
      ]),
    );
    expect((error as { issues: ValidationIssue[] }).issues).toEqual([
      { path: ['lines', 0, 'quantity'], message: 'must be positive; got 0' },
      { path: ['lines', 1, 'quantity'], message: 'must be positive; got -2' },
    ]);
  });

  it('builds a changed copy with with() and leaves the original unchanged', () => {
    const price = new Money({ amount: 10, currency: 'EUR' });
    const raised = price.with({ amount: 12 });
    expect(raised).toBeInstanceOf(Money);
    expect(raised.amount).toBe(12);
    expect(raised.props.currency).toBe('EUR');
    expect(price.amount).toBe(10);
  });

  it('validates again when copying with with()', () => {
    const price = new Money({ amount: 10, currency: 'EUR' });
    expect(isValidationError(catchError(() => price.with({ currency: 'eur' })))).toBe(true);
  });

  it('serialises to its props', () => {
    expect(JSON.stringify(new Money({ amount: 3, currency: 'USD' }))).toBe('{"amount":3,"currency":"USD"}');
  });

  it('rejects instance fields in subclasses because the instance is frozen', () => {
    class Leaky extends ValueObject<{ a: number }> {
      extra = 1;
    }
    expect(() => new Leaky({ a: 1 })).toThrow(TypeError);
  });

  it('is equal exactly when its props are deeply equal, for any props', () => {
    const props = fc.record({ name: fc.string(), scores: fc.array(fc.integer(), { maxLength: 5 }) });
    fc.assert(
      fc.property(props, props, (a, b) => {
        class Score extends ValueObject<typeof a> {}
        const same = a.name === b.name && JSON.stringify(a.scores) === JSON.stringify(b.scores);
        expect(new Score(a).equals(new Score(b))).toBe(same);
        expect(new Score(a).equals(new Score(structuredClone(a)))).toBe(true);
      }),
    );
  });
});

describe('schemaIssues', () => {
  it('returns no issues for a valid value', () => {
    expect(schemaIssues(MoneySchema, { amount: 1, currency: 'EUR' })).toEqual([]);
  });

  it('rejects an asynchronous schema with a clear error', () => {
    const schema = z.string().refine(async () => true);
    expect(() => schemaIssues(schema, 'x')).toThrow(/parseAsync/);
  });
});
