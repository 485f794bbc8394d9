import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';
import { DDD_ERROR_CODES } from './domainRuleViolation.js';

/**
 * An aggregate was asked to apply an event type it has no handler for: usually an event from a
 * newer version of the code, or a missing upcaster.
 */
export class UnknownEventTypeError extends KeelError {
  /** The aggregate type, e.g. `Order`. */
  readonly aggregateType: string;
  /** The event type that has no handler. */
  readonly eventType: string;

  /**
   * @param aggregateType - The aggregate type that could not apply the event.
   * @param eventType - The event type without a handler.
   * @param known - The event types the aggregate does handle.
   */
  constructor(
    aggregateType: string,
    eventType: string,
    known: readonly string[],
    options: KeelErrorOptions = {},
  ) {
    super(
      DDD_ERROR_CODES.unknownEventType,
      `${aggregateType} has no handler for event type "${eventType}" (it handles: ${known.join(', ') || 'none'}); ` +
        `add a handler for it, or upcast the stored event to a known type.`,
      { ...options, details: { ...options.details, aggregateType, eventType, known } },
    );
    this.aggregateType = aggregateType;
    this.eventType = eventType;
  }
}

/** Whether `value` is an {@link UnknownEventTypeError} (from any loaded copy of `@keel/ddd`). */
export function isUnknownEventTypeError(value: unknown): value is UnknownEventTypeError {
  return isKeelError(value, DDD_ERROR_CODES.unknownEventType);
}

/**
 * A repository stored the aggregate but could not publish its events. The save itself is
 * durable and the aggregate is marked committed; use a transactional outbox when every event
 * must reach subscribers.
 */
export class EventPublicationError extends KeelError {
  /** How many events were stored but not (or not all) published. */
  readonly eventCount: number;

  constructor(subject: string, eventCount: number, options: KeelErrorOptions = {}) {
    super(
      DDD_ERROR_CODES.eventPublicationFailed,
      `${subject} was saved, but publishing its ${eventCount} event(s) failed; ` +
        `the change is stored, so do not save again: republish, or use an outbox for guaranteed delivery.`,
      { ...options, details: { ...options.details, subject, eventCount } },
    );
    this.eventCount = eventCount;
  }
}

/** Whether `value` is an {@link EventPublicationError} (from any loaded copy of `@keel/ddd`). */
export function isEventPublicationError(value: unknown): value is EventPublicationError {
  return isKeelError(value, DDD_ERROR_CODES.eventPublicationFailed);
}

/**
 * An aggregate was used out of order: for example history was loaded into an aggregate that
 * already has uncommitted events, or a version was set to a negative number.
 */
export class AggregateStateError extends KeelError {
  constructor(message: string, options: KeelErrorOptions = {}) {
    super(DDD_ERROR_CODES.aggregateState, message, options);
  }
}

/** Whether `value` is an {@link AggregateStateError} (from any loaded copy of `@keel/ddd`). */
export function isAggregateStateError(value: unknown): value is AggregateStateError {
  return isKeelError(value, DDD_ERROR_CODES.aggregateState);
}

/** An aggregate was asked for a snapshot but does not implement `snapshotState()`. */
export class SnapshotNotSupportedError extends KeelError {
  constructor(aggregateType: string, options: KeelErrorOptions = {}) {
    super(
      DDD_ERROR_CODES.snapshotNotSupported,
      `${aggregateType} does not support snapshots; override snapshotState() and restoreSnapshotState() to enable them.`,
      { ...options, details: { ...options.details, aggregateType } },
    );
  }
}

/** Whether `value` is a {@link SnapshotNotSupportedError} (from any loaded copy of `@keel/ddd`). */
export function isSnapshotNotSupportedError(value: unknown): value is SnapshotNotSupportedError {
  return isKeelError(value, DDD_ERROR_CODES.snapshotNotSupported);
}
