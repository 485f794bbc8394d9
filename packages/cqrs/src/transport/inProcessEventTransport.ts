import {
  CancelledError,
  linkedAbortController,
  raceAbort,
  storableCopy,
  throwIfAborted,
  whenAborted,
} from '@keel/core';
import type { Message, PublishOptions } from '@keel/core';
import { EventDeliveryError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';
import type {
  EventTransport,
  TransportHandler,
  TransportSubscribeOptions,
  TransportSubscription,
} from './eventTransport.js';
import { TransportClosedError } from './transportClosedError.js';

const NAME = 'in-process event transport';

/** One attached handler: its signal aborts when the subscription closes. */
interface Subscriber {
  readonly handler: TransportHandler;
  readonly controller: AbortController;
  /** Deliveries still running, waited for by `close()`. */
  readonly running: Set<Promise<void>>;
}

/** A delivery signal and how to stop it following the publisher's and the subscription's signals. */
interface DeliverySignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * An {@link EventTransport} inside one process: `publish` hands each event, in order, to every
 * subscriber and resolves when all of them have handled it, or rejects with one
 * {@link EventDeliveryError} listing every failure (the other subscribers and later events
 * still get their events).
 *
 * It behaves like the broker transports where they can be compared: subscribers get a frozen
 * copy of each event as it would arrive over the wire (JSON: a `Date` becomes its ISO string),
 * and an event JSON cannot carry faithfully (a BigInt, NaN, a Map …) is refused with core's
 * `SerializationError` before anything is delivered; closing a subscription
 * aborts the signal of its handlers still running (with a `CancelledError`) and waits for
 * them, so do not await it from inside one of them; after `close()` the transport refuses
 * `publish` and `subscribe` with a {@link TransportClosedError}.
 *
 * @example
 * ```ts
 * const transport = new InProcessEventTransport();
 * const bus = createEventBus({ transport });
 * await bus.consume(transport);
 * ```
 */
export class InProcessEventTransport implements EventTransport {
  readonly #subscribers = new Set<Subscriber>();
  #closing: Promise<void> | undefined;

  /** How many subscribers are attached. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Delivers `events` in order to every subscriber.
   *
   * @throws {EventDeliveryError} after delivering everything, when any subscriber failed.
   * @throws {TransportClosedError} after `close()`; nothing is delivered then.
   * @throws The abort reason when `options.signal` is already aborted (checked first).
   */
  async publish(events: readonly Message[], options: PublishOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    this.#assertOpen('publish');
    return raceAbort(this.#deliver(events.map(wireCopy), signal), signal);
  }

  /**
   * Attaches `handler`; the returned subscription detaches it, aborting the signal of its
   * deliveries still running and waiting for them.
   *
   * @throws {TransportClosedError} after `close()`.
   * @throws The abort reason when `options.signal` is already aborted (checked first).
   */
  async subscribe(
    handler: TransportHandler,
    options: TransportSubscribeOptions = {},
  ): Promise<TransportSubscription> {
    throwIfAborted(options.signal);
    this.#assertOpen('subscribe');
    const subscriber: Subscriber = { handler, controller: new AbortController(), running: new Set() };
    this.#subscribers.add(subscriber);
    let closing: Promise<void> | undefined;
    return { close: () => (closing ??= this.#detach(subscriber)) };
  }

  /** Detaches every subscriber (as their `close()` does); later publishes and subscribes are refused. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([...this.#subscribers].map((s) => this.#detach(s))).then(
      () => undefined,
    );
    return this.#closing;
  }

  /** Same as {@link InProcessEventTransport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #detach(subscriber: Subscriber): Promise<void> {
    this.#subscribers.delete(subscriber);
    subscriber.controller.abort(new CancelledError('The in-process transport subscription was closed.'));
    await Promise.allSettled([...subscriber.running]);
  }

  #assertOpen(operation: string): void {
    if (this.#closing !== undefined) throw new TransportClosedError(NAME, operation);
  }

  async #deliver(events: readonly Message[], publisherSignal: AbortSignal | undefined): Promise<void> {
    const failures: EventHandlerFailure[] = [];
    const signals = new Map<Subscriber, DeliverySignal>();
    try {
      for (const event of events) {
        let index = 0;
        for (const subscriber of [...this.#subscribers]) {
          index++;
          // Closed while this publish was running: it gets nothing more.
          if (!this.#subscribers.has(subscriber)) continue;
          let delivery = signals.get(subscriber);
          if (delivery === undefined)
            signals.set(subscriber, (delivery = deliverySignal(subscriber, publisherSignal)));
          const error = await this.#handOver(subscriber, event, delivery.signal);
          if (error !== undefined)
            failures.push(
              ...EventDeliveryError.failuresOf(event, `transport subscriber #${index}`, error.value),
            );
        }
      }
    } finally {
      for (const delivery of signals.values()) delivery.dispose();
    }
    if (failures.length > 0) throw new EventDeliveryError(failures);
  }

  /** Runs one delivery, tracked so `close()` can wait for it; returns what it threw, if anything. */
  async #handOver(
    subscriber: Subscriber,
    event: Message,
    signal: AbortSignal,
  ): Promise<{ value: unknown } | undefined> {
    let outcome: { value: unknown } | undefined;
    const run = (async () => {
      try {
        await subscriber.handler(event, { signal });
      } catch (error) {
        outcome = { value: error };
      }
    })();
    subscriber.running.add(run);
    try {
      await run;
    } finally {
      subscriber.running.delete(run);
    }
    return outcome;
  }
}

/**
 * The signal handed to a subscriber's deliveries of one publish: the subscription's own when
 * the publisher gave none, else one that aborts when either does.
 */
function deliverySignal(subscriber: Subscriber, publisherSignal: AbortSignal | undefined): DeliverySignal {
  const own = subscriber.controller.signal;
  if (publisherSignal === undefined) return { signal: own, dispose: noop };
  const link = linkedAbortController(publisherSignal);
  const stop = whenAborted(own, () => link.abort(own.reason));
  return {
    signal: link.signal,
    dispose: () => {
      stop();
      link.dispose();
    },
  };
}

function noop(): void {}

/**
 * The event as a broker would deliver it: its type, data and metadata through storable JSON
 * (refusing what JSON would lose), frozen like a decoded message.
 *
 * @throws {SerializationError} when the event cannot travel as JSON.
 */
function wireCopy(event: Message): Message {
  const copy = storableCopy(
    { type: event.type, data: event.data, metadata: event.metadata },
    `event "${event.type}"`,
  );
  const { headers, aggregate } = copy.metadata;
  return Object.freeze({
    type: copy.type,
    data: copy.data,
    metadata: Object.freeze({
      ...copy.metadata,
      headers: Object.freeze({ ...headers }),
      ...(aggregate === undefined ? {} : { aggregate: Object.freeze(aggregate) }),
    }),
  });
}
