import { raceAbort, throwIfAborted } from '@keel/core';
import type { Message, PublishOptions } from '@keel/core';
import { EventDeliveryError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';
import type {
  EventTransport,
  TransportHandler,
  TransportSubscribeOptions,
  TransportSubscription,
} from './eventTransport.js';

/**
 * An {@link EventTransport} inside one process: `publish` hands each event, in order, to every
 * subscriber and resolves when all of them have handled it, or rejects with one
 * {@link EventDeliveryError} listing every failure (the other subscribers and later events
 * still get their events).
 *
 * @example
 * ```ts
 * const transport = new InProcessEventTransport();
 * const bus = createEventBus({ transport });
 * await bus.consume(transport);
 * ```
 */
export class InProcessEventTransport implements EventTransport {
  readonly #subscribers = new Set<TransportHandler>();

  /** How many subscribers are attached. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Delivers `events` in order to every subscriber.
   *
   * @throws {EventDeliveryError} after delivering everything, when any subscriber failed.
   */
  async publish(events: readonly Message[], options: PublishOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    return raceAbort(this.#deliver(events, signal ?? new AbortController().signal), signal);
  }

  /** Attaches `handler`; the returned subscription detaches it. */
  async subscribe(
    handler: TransportHandler,
    options: TransportSubscribeOptions = {},
  ): Promise<TransportSubscription> {
    throwIfAborted(options.signal);
    const entry: TransportHandler = (event, delivery) => handler(event, delivery);
    this.#subscribers.add(entry);
    return {
      close: async () => {
        this.#subscribers.delete(entry);
      },
    };
  }

  /** Detaches every subscriber. */
  async close(): Promise<void> {
    this.#subscribers.clear();
  }

  async #deliver(events: readonly Message[], signal: AbortSignal): Promise<void> {
    const failures: EventHandlerFailure[] = [];
    for (const event of events) {
      let index = 0;
      for (const subscriber of [...this.#subscribers]) {
        index++;
        try {
          await subscriber(event, { signal });
        } catch (error) {
          failures.push(...EventDeliveryError.failuresOf(event, `transport subscriber #${index}`, error));
        }
      }
    }
    if (failures.length > 0) throw new EventDeliveryError(failures);
  }
}
