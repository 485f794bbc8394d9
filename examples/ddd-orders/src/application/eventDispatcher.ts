import type { EventPublisher } from '@keel/core';
import type { OrderEvent } from '../domain/orderEvents.js';

type HandlerOf<TType extends OrderEvent['type']> = (
  event: Extract<OrderEvent, { type: TType }>,
) => void | Promise<void>;

/**
 * A tiny in-process implementation of the core `EventPublisher` that the repository publishes
 * to after each successful save. In a real service you would pass the `@keel/cqrs` EventBus,
 * which implements the same interface.
 */
export class OrderEventDispatcher implements EventPublisher<OrderEvent> {
  readonly #handlers = new Map<string, Array<(event: OrderEvent) => void | Promise<void>>>();

  /** Registers a handler for one event type; returns a function that removes it. */
  on<TType extends OrderEvent['type']>(type: TType, handler: HandlerOf<TType>): () => void {
    const list = this.#handlers.get(type) ?? [];
    const entry = handler as (event: OrderEvent) => void | Promise<void>;
    list.push(entry);
    this.#handlers.set(type, list);
    return () => {
      list.splice(list.indexOf(entry), 1);
    };
  }

  async publish(events: readonly OrderEvent[]): Promise<void> {
    for (const event of events) {
      for (const handler of this.#handlers.get(event.type) ?? []) await handler(event);
    }
  }
}
