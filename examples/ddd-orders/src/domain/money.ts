import { ensureRule, schemaIssues, ValueObject } from '@keel/ddd';
import { z } from 'zod';

/** The currencies the shop sells in. */
export const Currency = z.enum(['EUR', 'USD', 'GBP']);
export type Currency = z.infer<typeof Currency>;

/** Money is an amount in minor units (cents), so no floating-point rounding creeps in. */
const MoneySchema = z.object({
  amount: z.number().int('must be a whole number of cents').nonnegative('must not be negative'),
  currency: Currency,
});
export type MoneyProps = z.infer<typeof MoneySchema>;

/**
 * A value object: immutable, equal by value, validated by a zod schema on every construction
 * (including copies made with `with()`). Arithmetic across currencies breaks a domain rule.
 */
export class Money extends ValueObject<MoneyProps> {
  /** Builds money from major units, e.g. `Money.of(12.5, 'EUR')` is €12.50. */
  static of(major: number, currency: Currency): Money {
    return new Money({ amount: Math.round(major * 100), currency });
  }

  static zero(currency: Currency): Money {
    return new Money({ amount: 0, currency });
  }

  get amount(): number {
    return this.props.amount;
  }

  get currency(): Currency {
    return this.props.currency;
  }

  protected override validate(props: MoneyProps) {
    return schemaIssues(MoneySchema, props);
  }

  add(other: Money): Money {
    this.#assertSameCurrency(other, 'add');
    return this.with({ amount: this.amount + other.amount });
  }

  subtract(other: Money): Money {
    this.#assertSameCurrency(other, 'subtract');
    return this.with({ amount: this.amount - other.amount });
  }

  /** Multiplies by a whole quantity. */
  times(quantity: number): Money {
    return this.with({ amount: this.amount * quantity });
  }

  /** `percent` % of this amount, rounded half up to the cent. */
  percentage(percent: number): Money {
    return this.with({ amount: Math.round((this.amount * percent) / 100) });
  }

  isAtLeast(other: Money): boolean {
    this.#assertSameCurrency(other, 'compare');
    return this.amount >= other.amount;
  }

  format(): string {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency: this.currency }).format(
      this.amount / 100,
    );
  }

  override toString(): string {
    return this.format();
  }

  #assertSameCurrency(other: Money, operation: string): void {
    ensureRule(
      other.currency === this.currency,
      'money.same-currency',
      () =>
        `Cannot ${operation} ${other.format()} and ${this.format()}: the currencies differ; convert first.`,
      { left: this.currency, right: other.currency },
    );
  }
}
