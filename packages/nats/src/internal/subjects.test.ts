import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNatsInvalidSubjectError } from '../errors/errors.js';
import { checkEventSubject, subjectProblem, subjectToken } from './subjects.js';

describe('subjects', () => {
  it.each(['orders', 'orders.placed', 'a.b-c.d_e', 'keel.dead-letter.S1'])(
    'accepts the literal subject %s',
    (subject) => {
      expect(subjectProblem(subject)).toBeUndefined();
    },
  );

  it.each(['', '.a', 'a.', 'a..b', 'a.*', 'a.>', 'a b', 'a\tb'])('rejects %j', (subject) => {
    expect(subjectProblem(subject)).toBeDefined();
  });

  it('rejects an event subject outside the prefix with a NatsInvalidSubjectError', () => {
    expect(() => checkEventSubject('billing.Paid', 'orders')).toThrow(
      expect.toSatisfy(isNatsInvalidSubjectError),
    );
    expect(() => checkEventSubject('ordersX.Paid', 'orders')).toThrow(
      expect.toSatisfy(isNatsInvalidSubjectError),
    );
    expect(checkEventSubject('orders.Paid', 'orders')).toBe('orders.Paid');
  });

  it('turns any non-empty type into one valid subject token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (type) => {
        const token = subjectToken(type);
        expect(subjectProblem(`p.${token}`)).toBeUndefined();
        expect(token.includes('.')).toBe(false);
      }),
      { seed: 3 },
    );
  });
});
