import type { Message } from '../messages/message.js';

/** Options of {@link EventPublisher.publish}. */
export interface PublishOptions {
  /** Stops waiting for delivery when aborted. */
  signal?: AbortSignal;
}

/**
 * Where saved domain events go: repositories call it after a successful save, and the cqrs
 * `EventBus` implements it, so `@keel/ddd` and `@keel/eventsourcing` never import `@keel/cqrs`.
 */
export interface EventPublisher<TEvent extends Message = Message> {
  /** Delivers `events` in order; resolves when they are delivered or rejects with the failures. */
  publish(events: readonly TEvent[], options?: PublishOptions): Promise<void>;
}

/**
 * Adapts a plain function into an {@link EventPublisher}.
 *
 * @example
 * ```ts
 * const publisher = eventPublisher(async (events) => console.log(events.map((e) => e.type)));
 * ```
 */
export function eventPublisher<TEvent extends Message>(
  publish: (events: readonly TEvent[], options?: PublishOptions) => Promise<void> | void,
): EventPublisher<TEvent> {
  return { publish: async (events, options) => publish(events, options) };
}
