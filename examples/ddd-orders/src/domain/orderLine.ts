import { ValueObject } from '@keel/ddd';
import type { ValidationIssue } from '@keel/core';
import type { Money } from './money.js';

export type OrderLineProps = { sku: string; quantity: number; unitPrice: Money };

/** One line of an order: a value object validated by a plain function (no schema needed). */
export class OrderLine extends ValueObject<OrderLineProps> {
  protected override validate({ sku, quantity }: OrderLineProps): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (!/^[A-Z0-9-]{3,20}$/.test(sku)) issues.push({ path: ['sku'], message: `is not a SKU; got "${sku}"` });
    if (!Number.isInteger(quantity) || quantity < 1) {
      issues.push({ path: ['quantity'], message: `must be a whole number >= 1; got ${quantity}` });
    }
    return issues;
  }

  get sku(): string {
    return this.props.sku;
  }

  get quantity(): number {
    return this.props.quantity;
  }

  get unitPrice(): Money {
    return this.props.unitPrice;
  }

  get total(): Money {
    return this.unitPrice.times(this.quantity);
  }
}
