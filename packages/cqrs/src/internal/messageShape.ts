import { describeValue, ValidationError } from '@keel/core';
import type { Message, ValidationIssue } from '@keel/core';
import type { MessageKind } from '../errors/errors.js';

/**
 * Whether `value` has what every bus reads of a message: a non-empty string `type` and a
 * `metadata` object. Checked where a message enters a bus, so a malformed one is refused with a
 * `ValidationError` naming what is missing instead of a `TypeError` from deep inside.
 */
export function isMessageShaped(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false;
  const { type, metadata } = value as { type?: unknown; metadata?: unknown };
  return typeof type === 'string' && type.length > 0 && typeof metadata === 'object' && metadata !== null;
}

/** The issue of a value that {@link isMessageShaped} refuses, at `path`. */
export function messageShapeIssue(value: unknown, path: readonly PropertyKey[]): ValidationIssue {
  return { path: [...path], message: `must be a message { type, data, metadata } (got ${shapeOf(value)}).` };
}

/** The error for one malformed command, query or event handed to a bus. */
export function notAMessage(kind: MessageKind, value: unknown): ValidationError {
  return new ValidationError([messageShapeIssue(value, [])], { subject: kind });
}

function shapeOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return describeValue(value);
  const { type, metadata } = value as { type?: unknown; metadata?: unknown };
  if (typeof type !== 'string' || type.length === 0) return `an object whose type is ${describeValue(type)}`;
  return `"${type}" with metadata ${describeValue(metadata)}`;
}

/** Refuses, before anything is delivered, what is not an array of messages, naming each bad one. */
export function assertEvents(events: unknown): void {
  if (!Array.isArray(events)) {
    const message = `must be an array of events (got ${describeValue(events)}).`;
    throw new ValidationError([{ path: ['events'], message }], { subject: 'EventBus.publish arguments' });
  }
  let issues: ValidationIssue[] | undefined;
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index];
    if (!isMessageShaped(event)) (issues ??= []).push(messageShapeIssue(event, ['events', index]));
  }
  if (issues !== undefined) throw new ValidationError(issues, { subject: 'EventBus.publish arguments' });
}
