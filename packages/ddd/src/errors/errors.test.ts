import { isKeelError, KeelError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { catchError } from '../internal/catchError.fixture.js';
import { DomainRuleViolation, ensureRule, isDomainRuleViolation } from './domainRuleViolation.js';
import {
  EventPublicationError,
  UnknownEventTypeError,
  isEventPublicationError,
  isUnknownEventTypeError,
} from './dddErrors.js';

describe('DomainRuleViolation', () => {
  it('is a KeelError with the DOMAIN_RULE_VIOLATION code and the rule name', () => {
    const error = new DomainRuleViolation('order.not-empty', 'An order needs at least one item.');
    expect(isKeelError(error, 'DOMAIN_RULE_VIOLATION')).toBe(true);
    expect(error.rule).toBe('order.not-empty');
    expect(error.details).toEqual({ rule: 'order.not-empty' });
    expect(error.name).toBe('DomainRuleViolation');
  });

  it('is recognised by its guard by code, even from another copy of the package', () => {
    const foreign = new KeelError('DOMAIN_RULE_VIOLATION', 'x', { details: { rule: 'r' } });
    Object.assign(foreign, { rule: 'r' });
    expect(isDomainRuleViolation(foreign)).toBe(true);
    expect(isDomainRuleViolation(foreign, 'r')).toBe(true);
    expect(isDomainRuleViolation(foreign, 'other')).toBe(false);
    expect(isDomainRuleViolation(new Error('x'))).toBe(false);
  });
});

describe('ensureRule', () => {
  it('does nothing when the condition holds and never builds the message', () => {
    let built = false;
    ensureRule(true, 'r', () => {
      built = true;
      return 'x';
    });
    expect(built).toBe(false);
  });

  it('throws a DomainRuleViolation with details when the condition fails', () => {
    const error = catchError(() => ensureRule(0, 'money.positive', 'must be positive', { amount: 0 }));
    expect(isDomainRuleViolation(error, 'money.positive')).toBe(true);
    expect((error as DomainRuleViolation).details).toEqual({ amount: 0, rule: 'money.positive' });
  });
});

describe('other ddd errors', () => {
  it('have stable codes and guards', () => {
    expect(isUnknownEventTypeError(new UnknownEventTypeError('Order', 'X', []))).toBe(true);
    expect(new UnknownEventTypeError('Order', 'X', []).message).toMatch(/it handles: none/);
    expect(isEventPublicationError(new EventPublicationError('Order o-1', 2))).toBe(true);
    expect(isEventPublicationError(new UnknownEventTypeError('Order', 'X', []))).toBe(false);
  });
});
