import { DomainRuleViolation } from '@keel/ddd';
import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';
import { wallet } from '../decider/wallet.fixture.js';
import { deciderSpec } from './deciderSpec.js';
import type { SpecAssertionError } from './specAssertionError.js';
import { isSpecAssertionError } from './specAssertionError.js';
import { specEqual } from './specEquality.js';

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

describe('specEqual', () => {
  it('compares as toEqual does: structure, not class; undefined properties as absent', () => {
    class Money {
      constructor(readonly amount: number) {}
    }
    expect(specEqual(new Money(5), { amount: 5 })).toBe(true);
    expect(specEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(specEqual(new Date(5), new Date(5))).toBe(true);
    expect(specEqual(new Map([['k', [1]]]), new Map([['k', [1]]]))).toBe(true);
    expect(specEqual(new Set([{ a: 1 }, 2]), new Set([2, { a: 1 }]))).toBe(true);
    expect(specEqual([1, [2, { c: 3 }]], [1, [2, { c: 3 }]])).toBe(true);
    expect(specEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('tells different values apart', () => {
    expect(specEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(specEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(specEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(specEqual([1], { 0: 1 })).toBe(false);
    expect(specEqual(new Date(5), new Date(6))).toBe(false);
    expect(specEqual(new Map([['k', 1]]), new Map([['k', 2]]))).toBe(false);
    expect(specEqual(new Set([1]), new Set([2]))).toBe(false);
    expect(specEqual(null, {})).toBe(false);
    expect(specEqual(/a/g, /a/)).toBe(false);
    expect(specEqual(1, '1')).toBe(false);
  });
});
