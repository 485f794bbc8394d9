import type { EventFilter } from './eventStore.js';
import type { RecordedEvent } from './recordedEvent.js';

/**
 * Whether `event` passes `filter`: its type is one of `eventTypes` (when given) and its stream
 * name starts with `streamPrefix` or one of them (when given).
 */
export function matchesFilter(
  event: Pick<RecordedEvent, 'type' | 'streamName'>,
  filter: EventFilter,
): boolean {
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(event.type)) return false;
  const prefix = filter.streamPrefix;
  if (prefix === undefined) return true;
  if (typeof prefix === 'string') return event.streamName.startsWith(prefix);
  return prefix.some((candidate) => event.streamName.startsWith(candidate));
}
