import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNatsInvalidSubjectError } from '../errors/errors.js';
import { checkEventSubject, MAX_SUBJECT_BYTES, subjectProblem, subjectToken } from './subjects.js';

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

  it('refuses a subject longer than MAX_SUBJECT_BYTES UTF-8 bytes, counting bytes not characters', () => {
    expect(subjectProblem(`p.${'a'.repeat(MAX_SUBJECT_BYTES - 2)}`)).toBeUndefined();
    expect(subjectProblem(`p.${'a'.repeat(MAX_SUBJECT_BYTES - 1)}`)).toContain(`${MAX_SUBJECT_BYTES}`);
    // 400 characters, 1 200 bytes.
    expect(subjectProblem(`p.${'€'.repeat(400)}`)).toContain('1202 bytes');
    expect(() => checkEventSubject(`p.${'T'.repeat(4_100)}`, 'p')).toThrow(
      /at most 1024.*shorten the event type/,
    );
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
