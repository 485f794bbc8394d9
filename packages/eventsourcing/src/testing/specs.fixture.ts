// Runs deciderSpec and aggregateSpec under node:test, with no vitest loaded: spawned by
// specAssertionError.test.ts to prove the spec helpers need no particular test runner.
import { test } from 'node:test';
import { DomainRuleViolation } from '@keel/ddd';
import { wallet } from '../decider/wallet.fixture.js';

// Through the published `./specs` entry; runUnderNodeTest refuses vitest in this process, so this file fails to
// load if that entry (or anything it imports) pulls vitest in.
const { deciderSpec, isSpecAssertionError } = await import('@keel/eventsourcing/specs');

const spec = deciderSpec(wallet);
const opened = { type: 'Opened', data: { owner: 'Ada' } } as const;

test('a holding decider spec passes', () => {
  spec
    .given([opened])
    .when({ type: 'Deposit', amount: 5 })
    .then([{ type: 'Deposited', data: { amount: 5 } }]);
  spec.given([opened]).when({ type: 'Withdraw', amount: 1 }).thenThrows(DomainRuleViolation);
});

test('a failing decider spec throws a SpecAssertionError', () => {
  try {
    spec.given([opened]).when({ type: 'Deposit', amount: 5 }).then([]);
  } catch (error) {
    if (isSpecAssertionError(error)) return;
    throw error;
  }
  throw new Error('the failing spec did not throw');
});
