import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the errors `@keel/ddd` throws. */
export const DDD_ERROR_CODES = Object.freeze({
  domainRuleViolation: 'DOMAIN_RULE_VIOLATION',
  unknownEventType: 'UNKNOWN_EVENT_TYPE',
  snapshotNotSupported: 'SNAPSHOT_NOT_SUPPORTED',
  eventPublicationFailed: 'EVENT_PUBLICATION_FAILED',
  aggregateState: 'AGGREGATE_STATE_INVALID',
} as const);

/**
 * A business rule (an invariant) refused a change, e.g. editing a confirmed order. `code` is
 * always `DOMAIN_RULE_VIOLATION`; `rule` names which rule, so callers can tell rules apart
 * without parsing messages.
 *
 * @example
 * ```ts
 * throw new DomainRuleViolation('order.confirmed-is-final', 'Order "o-1" is confirmed; items can no longer change.');
 * ```
 */
export class DomainRuleViolation extends KeelError {
  /** The name of the rule that was broken, e.g. `order.not-empty`. Stable; safe to branch on. */
  readonly rule: string;

  /**
   * @param rule - A stable name for the rule, e.g. `money.same-currency`.
   * @param message - What happened, with the values involved, and what to do instead.
   * @param options - `cause` and structured `details` (logged with the error).
   */
  constructor(rule: string, message: string, options: KeelErrorOptions = {}) {
    super(DDD_ERROR_CODES.domainRuleViolation, message, {
      ...options,
      details: { ...options.details, rule },
    });
    this.rule = rule;
  }
}

/**
 * Whether `value` is a {@link DomainRuleViolation} (from any loaded copy of `@keel/ddd`),
 * optionally of one specific `rule`.
 *
 * @example
 * ```ts
 * if (isDomainRuleViolation(error, 'order.not-empty')) return reply(422, error.message);
 * ```
 */
export function isDomainRuleViolation(value: unknown, rule?: string): value is DomainRuleViolation {
  if (!isKeelError(value, DDD_ERROR_CODES.domainRuleViolation)) return false;
  return rule === undefined || (value as DomainRuleViolation).rule === rule;
}

/**
 * Asserts a business rule: throws a {@link DomainRuleViolation} when `condition` is falsy.
 *
 * @param condition - What must hold for the change to be allowed.
 * @param rule - The stable rule name carried by the error.
 * @param message - The error message, or a function building it (only called on failure).
 * @param details - Structured facts attached to the error.
 * @throws {DomainRuleViolation} when `condition` is falsy.
 * @example
 * ```ts
 * ensureRule(amount >= 0, 'money.not-negative', `An amount cannot be negative; got ${amount}.`);
 * ```
 */
export function ensureRule(
  condition: unknown,
  rule: string,
  message: string | (() => string),
  details?: Readonly<Record<string, unknown>>,
): asserts condition {
  if (condition) return;
  const text = typeof message === 'function' ? message() : message;
  throw new DomainRuleViolation(rule, text, details === undefined ? {} : { details });
}
