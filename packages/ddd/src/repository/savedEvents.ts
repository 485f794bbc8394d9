import { ValidationError } from '@keel/core';
import type { Message } from '@keel/core';
import type { SaveOptions } from './repository.js';

/**
 * The events of a save as they are stored and published: each event that names no cause of its
 * own gets `cause` as its cause (its correlation id, its id as causation id, its tenant when the
 * event names none); the others, and all of them when there is no cause, are kept as they are.
 * For repository implementations: apply it to the events of `save(aggregate, { causedBy })`
 * before storing them.
 *
 * @throws {ValidationError} when `cause` is given without a metadata `messageId` and
 *   `correlationId` (check it before writing anything).
 * @example
 * ```ts
 * const events = eventsCausedBy(aggregate.uncommittedEvents, options.causedBy);
 * ```
 */
export function eventsCausedBy<TEvent extends Message>(
  events: readonly TEvent[],
  cause: SaveOptions['causedBy'],
): readonly TEvent[] {
  if (cause === undefined) return events;
  const parent = checkedCause(cause);
  return events.map((event) => {
    const { metadata } = event;
    if (metadata.causationId !== undefined) return event;
    const tenantId = metadata.tenantId ?? parent.tenantId;
    return Object.freeze({
      ...event,
      metadata: Object.freeze({
        ...metadata,
        correlationId: parent.correlationId,
        causationId: parent.messageId,
        ...(tenantId === undefined ? {} : { tenantId }),
      }),
    });
  });
}

function checkedCause(cause: Pick<Message, 'metadata'>): Message['metadata'] {
  const metadata = (cause as { metadata?: Partial<Message['metadata']> } | null)?.metadata;
  if (typeof metadata?.messageId !== 'string' || typeof metadata.correlationId !== 'string') {
    throw new ValidationError(
      [
        {
          path: ['causedBy', 'metadata'],
          message: 'must be a message: metadata with a messageId and a correlationId',
        },
      ],
      { subject: 'save options' },
    );
  }
  return metadata as Message['metadata'];
}
