import { currentMessage } from '@keel/cqrs';
import type { EventStore, NewEvent } from '@keel/eventsourcing';

/**
 * Wraps an event store so events appended while a command is handled are stored with the
 * command's correlation id and its message id as causation, the same metadata the event bus
 * stamps on their published copies. Aggregates raise events without knowing the command;
 * the bus's `correlationMiddleware` keeps the command in scope (`currentMessage()`).
 * Events that already name a cause, and appends outside any handler, are stored unchanged.
 */
export function withCausation(store: EventStore): EventStore {
  const appendToStream: EventStore['appendToStream'] = (streamName, events, options) => {
    const cause = currentMessage();
    if (cause === undefined) return store.appendToStream(streamName, events, options);
    const stamped = events.map((event): NewEvent => {
      const stored = (event.metadata ?? {}) as Readonly<Record<string, unknown>>;
      if (stored['causationId'] !== undefined) return event;
      const metadata = {
        ...stored,
        correlationId: cause.metadata.correlationId,
        causationId: cause.metadata.messageId,
      };
      return { ...event, metadata };
    });
    return store.appendToStream(streamName, stamped, options);
  };
  return new Proxy(store, {
    get: (target, key) => {
      if (key === 'appendToStream') return appendToStream;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
