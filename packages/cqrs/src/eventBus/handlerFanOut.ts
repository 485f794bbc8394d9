import type { Clock, Message } from '@keel/core';
import type { Terminal } from '../dispatch/compose.js';
import { callsOf, DispatchContext, existingSignal, spanOf } from '../dispatch/dispatchContext.js';
import type { InFlight } from '../internal/inFlight.js';
import type { Semaphore } from '../internal/semaphore.js';
import { traceHandler } from '../internal/telemetry.js';
import type { Handler } from '../messages/messageMap.js';
import type { MessageContext } from '../middleware/middleware.js';
import type { NestedWaitWarnings } from './nestedWaitWarnings.js';
import { HandlerOutcomes } from './handlerOutcomes.js';
import type { FanOutRelease } from './handlerOutcomes.js';

/** Subscribes a handler to every event type. */
export const ALL_EVENTS = '*';

/** One subscribed handler and its handler-middleware pipeline. */
export interface Subscription {
  readonly name: string;
  readonly handler: Handler<Message, unknown>;
  pipeline: Terminal;
}

/** The subscriptions of a type nobody subscribed to (shared: never mutated). */
const NO_SUBSCRIPTIONS: readonly Subscription[] = Object.freeze([]);

/**
 * The event bus's delivery of one event to its handlers: every handler of its type, then the
 * wildcard ones, each in a concurrency slot unless the delivery is nested, with every failure
 * collected and reported together.
 */
export class HandlerFanOut {
  readonly #subscriptions: ReadonlyMap<string, readonly Subscription[]>;
  readonly #semaphore: Semaphore;
  readonly #clock: Clock;
  readonly #warnings: NestedWaitWarnings;
  /** What a fan-out gives back as it settles: the slots its handlers held. */
  readonly releaseSlots: FanOutRelease;
  /** The slots, and the in-flight mark of the delivery, for a fan-out that ends its delivery. */
  readonly releaseAll: FanOutRelease;

  /** `subscriptions` is the bus's own map, read at each delivery. */
  constructor(
    subscriptions: ReadonlyMap<string, readonly Subscription[]>,
    semaphore: Semaphore,
    inFlight: InFlight,
    clock: Clock,
    warnings: NestedWaitWarnings,
  ) {
    this.#subscriptions = subscriptions;
    this.#semaphore = semaphore;
    this.#clock = clock;
    this.#warnings = warnings;
    const slot = (): void => semaphore.release();
    this.releaseSlots = { slot, delivery: undefined };
    this.releaseAll = { slot, delivery: (event) => inFlight.leave(event) };
  }

  /**
   * Runs every handler of the event (typed first, then wildcard), each in a concurrency slot
   * unless nested; rejects with one {@link EventDeliveryError} listing every failure.
   * `awaited`: a caller waits for this delivery, so a handler that waits long for a slot may be
   * waiting for itself (the bus then warns).
   */
  run(context: MessageContext, nested: boolean, release = this.releaseSlots, awaited = false): Promise<void> {
    const { type } = context.message;
    const typed = this.#subscriptions.get(type) ?? NO_SUBSCRIPTIONS;
    const wildcard = (type !== ALL_EVENTS && this.#subscriptions.get(ALL_EVENTS)) || NO_SUBSCRIPTIONS;
    return new Promise<void>((resolve, reject) => {
      const outcomes = new HandlerOutcomes(
        context.message,
        typed.length + wildcard.length,
        resolve,
        reject,
        release,
      );
      const signal = existingSignal(context);
      for (let index = 0; index < typed.length; index++)
        this.#runHandler(typed[index]!, index, context, signal, nested, outcomes, awaited);
      for (let index = 0; index < wildcard.length; index++)
        this.#runHandler(wildcard[index]!, typed.length + index, context, signal, nested, outcomes, awaited);
    });
  }

  /** Runs one handler (in a concurrency slot unless nested) and reports its outcome. */
  #runHandler(
    entry: Subscription,
    index: number,
    context: MessageContext,
    signal: AbortSignal | undefined,
    nested: boolean,
    outcomes: HandlerOutcomes,
    awaited: boolean,
  ): void {
    if (nested || this.#semaphore.tryAcquire()) {
      const inSlot = !nested;
      this.#callHandler(entry, context, signal).then(
        inSlot ? outcomes.succeededInSlot : outcomes.succeeded,
        (error: unknown) => outcomes.failed(index, entry.name, error, inSlot),
      );
      return;
    }
    const release = this.releaseSlots.slot;
    // Timed only here, where a slot is awaited: a handler that got one at once costs no timer.
    const watch = awaited ? this.#warnings.watchSlot(context.message) : undefined;
    this.#semaphore
      .acquire(signal)
      .then(() => {
        clearTimeout(watch);
        const running = this.#callHandler(entry, context, signal);
        running.then(release, release);
        return running;
      })
      .then(outcomes.succeeded, (error: unknown) => {
        clearTimeout(watch);
        outcomes.failed(index, entry.name, error, false);
      });
  }

  #callHandler(
    entry: Subscription,
    context: MessageContext,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    try {
      const span = spanOf(context);
      if (span === undefined)
        return entry.pipeline(
          new DispatchContext('event', context.message, signal, entry.name, callsOf(context)),
        );
      return traceHandler('event', context.message, entry.name, this.#clock, (handlerSpan) =>
        entry.pipeline(
          new DispatchContext('event', context.message, signal, entry.name, callsOf(context), handlerSpan),
        ),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
