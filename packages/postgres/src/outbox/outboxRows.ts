import { optionString, toStorableJson, ValidationError } from '@keel/core';
import type { Message, ValidationIssue } from '@keel/core';
import { toJsonParam } from '../internal/json.js';

/** One message as the outbox table stores it. */
export interface OutboxRow {
  readonly messageId: string;
  readonly type: string;
  /** The whole message as JSON text (core's `toStorableJson`, through `toJsonParam`). */
  readonly json: string | null;
}

/** Refuses, with one `ValidationError` listing each, messages without a type or an id. */
export function assertIdentified(messages: readonly Message[], subject: string): void {
  const issues: ValidationIssue[] = [];
  messages.forEach((message, index) => {
    const candidate = message as Partial<Message> | undefined;
    const problem = optionString(candidate?.type, true) ?? optionString(candidate?.metadata?.messageId, true);
    if (problem !== undefined)
      issues.push({ path: [index], message: `needs a type and a metadata.messageId: ${problem}` });
  });
  if (issues.length > 0) throw new ValidationError(issues, { subject });
}

/**
 * Checks and serializes every message before anything is written: a message without a type
 * or an id is refused with a `ValidationError`, and a message PostgreSQL cannot hold with
 * core's `SerializationError` (the id and type are inside the JSON, so a NUL character in
 * them is refused too).
 */
export function outboxRows(messages: readonly Message[]): OutboxRow[] {
  assertIdentified(messages, 'outbox messages');
  return messages.map((message, index) => ({
    messageId: message.metadata.messageId,
    type: message.type,
    json: toJsonParam(message, `message ${index} (${message.type}) of the outbox batch`),
  }));
}

/**
 * Checks the id and type an inbox records: present, and text PostgreSQL can hold (a NUL
 * character is refused with core's `SerializationError`). The data is not stored, so it is
 * not checked.
 */
export function assertRecordable(message: Message): void {
  assertIdentified([message], 'inbox message');
  toStorableJson(
    { id: message.metadata.messageId, type: message.type },
    `the id and type of message ${message.type}`,
  );
}
