import { DomainRuleViolation } from '@keel/ddd';
import { aggregateSpec } from '@keel/eventsourcing/testing';
import { describe, expect, it } from 'vitest';
import { Account } from './account.js';

const spec = aggregateSpec(() => new Account('ada'));
const opened = { type: 'AccountOpened', data: { owner: 'Ada', overdraftLimitCents: 10_00 } };

describe('Account', () => {
  it('opens with an owner', () => {
    spec
      .given()
      .when(() => Account.open('ada', 'Ada', 10_00))
      .then([opened]);
  });

  it('allows a withdrawal down to minus the overdraft limit', () => {
    spec
      .given([opened, { type: 'MoneyDeposited', data: { amountCents: 5_00 } }])
      .when((account) => account.withdraw(15_00))
      .then([{ type: 'MoneyWithdrawn', data: { amountCents: 15_00 } }]);
  });

  it('refuses a withdrawal past the overdraft limit', () => {
    spec
      .given([opened])
      .when((account) => account.withdraw(10_01))
      .thenThrows(DomainRuleViolation, (error) => expect(error.rule).toBe('account.insufficient-funds'));
  });

  it('refuses to close with money left', () => {
    spec
      .given([opened, { type: 'MoneyDeposited', data: { amountCents: 1 } }])
      .when((account) => account.close('bye'))
      .thenThrows(DomainRuleViolation, (error) => expect(error.rule).toBe('account.balance-must-be-zero'));
  });

  it('refuses every change once closed', () => {
    spec
      .given([opened, { type: 'AccountClosed', data: { reason: 'bye' } }])
      .when((account) => account.deposit(1))
      .thenThrows(DomainRuleViolation, (error) => expect(error.rule).toBe('account.must-be-open'));
  });
});
