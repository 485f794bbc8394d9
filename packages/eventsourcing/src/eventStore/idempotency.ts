import type { AppendResult } from './eventStore.js';
import { NO_STREAM } from './expectedVersion.js';
import type { ExpectedVersion } from './expectedVersion.js';
import type { EventMetadata, NewEvent, RecordedEvent } from './recordedEvent.js';

/**
 * When a batch's event ids are already recorded, in order, at the position the append
 * targets, returns the earlier result (an idempotent retry); otherwise `undefined`.
 *
 * The position is the expected version for a number or `NO_STREAM`, and wherever the first
 * id sits for `ANY`/`STREAM_EXISTS` (a retry after a lost acknowledgement).
 *
 * @param stream The stream's events in version order.
 * @param ids The event ids of the append, in order.
 * @param expected The append's expected version.
 * @param lookup Finds an event anywhere in the store by id.
 */
export function idempotentRetry(
  stream: readonly RecordedEvent[],
  ids: readonly string[],
  expected: ExpectedVersion,
  lookup: (eventId: string) => RecordedEvent | undefined,
): AppendResult | undefined {
  const first = ids[0];
  if (first === undefined) return undefined;
  const start = startIndex(stream, first, expected, lookup);
  if (start === undefined || start + ids.length > stream.length) return undefined;
  const earlier = stream.slice(start, start + ids.length);
  if (!earlier.every((event, index) => event.eventId === ids[index])) return undefined;
  const last = earlier[earlier.length - 1]!;
  return {
    nextExpectedVersion: last.streamVersion,
    lastPosition: last.globalPosition,
    events: earlier,
    appended: false,
  };
}

function startIndex(
  stream: readonly RecordedEvent[],
  firstId: string,
  expected: ExpectedVersion,
  lookup: (eventId: string) => RecordedEvent | undefined,
): number | undefined {
  if (typeof expected === 'number') return expected;
  if (expected === NO_STREAM) return 0;
  const found = lookup(firstId);
  if (found === undefined || found.streamName !== stream[0]?.streamName) return undefined;
  return found.streamVersion - 1;
}

/**
 * The id an event is recorded under: its `eventId`, else a core `metadata.messageId`, else a
 * new id from `newId` (a UUID v7).
 */
export function eventIdOf(event: NewEvent, newId: () => string): string {
  if (event.eventId !== undefined) return event.eventId;
  const messageId = (event.metadata as EventMetadata | undefined)?.['messageId'];
  return typeof messageId === 'string' && messageId.length > 0 ? messageId : newId();
}
