import { DomainRuleViolation } from '@keel/ddd';
import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';
import { wallet } from '../decider/wallet.fixture.js';
import { deciderSpec } from './deciderSpec.js';
import type { SpecAssertionError } from './specAssertionError.js';
import { isSpecAssertionError } from './specAssertionError.js';

const opened = { type: 'Opened', data: { owner: 'Ada' } } as const;
const spec = deciderSpec(wallet);

function failureOf(run: () => void): SpecAssertionError {
  try {
    run();
  } catch (error) {
    if (isSpecAssertionError(error)) return error;
    throw error;
  }
  throw new Error('expected the specification to fail');
}

describe('SpecAssertionError from the spec helpers', () => {
  it('carries the expected and the produced events when they differ', () => {
    const error = failureOf(() =>
      spec
        .given([opened])
        .when({ type: 'Deposit', amount: 5 })
        .then([{ type: 'Deposited', data: { amount: 6 } }]),
    );
    expect(error.code).toBe('SPEC_ASSERTION_FAILED');
    expect(error.expected).toEqual([{ type: 'Deposited', data: { amount: 6 } }]);
    expect(error.actual).toEqual([{ type: 'Deposited', data: { amount: 5 } }]);
    expect(error.message).toBe(
      'Expected the produced events to be [{"type":"Deposited","data":{"amount":6}}] but got [{"type":"Deposited","data":{"amount":5}}].',
    );
  });

  it('says a command that should have been rejected succeeded, with what it produced', () => {
    const error = failureOf(() =>
      spec.given([opened]).when({ type: 'Deposit', amount: 5 }).thenThrows(DomainRuleViolation),
    );
    expect(error.message).toContain('Expected DomainRuleViolation to be thrown but it succeeded');
    expect(error.actual).toEqual([expect.objectContaining({ type: 'Deposited' })]);
  });

  it('keeps an error of another type as its cause', () => {
    const error = failureOf(() =>
      spec.given([opened]).when({ type: 'Withdraw', amount: 1 }).thenThrows(RangeError),
    );
    expect(error.cause).toBeInstanceOf(DomainRuleViolation);
    expect(error.message).toContain('Expected RangeError to be thrown but got DomainRuleViolation');
  });

  it('reports a differing state with both states', () => {
    const error = failureOf(() =>
      spec
        .given([opened])
        .when({ type: 'Deposit', amount: 7 })
        .thenState({ status: 'open' } as never),
    );
    expect(error.expected).toEqual({ status: 'open' });
    expect(error.actual).toMatchObject({ balance: 7 });
  });

  it('runs under node:test with no vitest loaded', async () => {
    const report = await runUnderNodeTest(new URL('./specs.fixture.ts', import.meta.url));
    expect(report.pass).toBe(2);
    expect(report.fail).toBe(0);
    expect(report.failed).toBe(false);
  });
});
