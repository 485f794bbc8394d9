import { toError } from '@keel/core';
import type { Message } from '@keel/core';
import { EventDeliveryError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';

/** What one fan-out hands back when it settles: concurrency slots and the in-flight mark. */
export interface FanOutRelease {
  /** Gives back one concurrency slot. */
  readonly slot: () => void;
  /** Ends the delivery of the event (its in-flight mark); `undefined` when the caller ends it. */
  readonly delivery: ((event: Message) => void) | undefined;
}

/**
 * Collects the outcomes of one event's handler runs and settles once every run has: resolves
 * when none failed, else rejects with one {@link EventDeliveryError} listing the failures in
 * subscription order. One `then` per handler run and one promise per event, where
 * `Promise.all` over per-handler outcome promises needs two promises per handler and two more.
 */
export class HandlerOutcomes {
  readonly #event: Message;
  readonly #resolve: () => void;
  readonly #reject: (error: EventDeliveryError) => void;
  readonly #release: FanOutRelease;
  #pending: number;
  #failures: Array<EventHandlerFailure | undefined> | undefined;

  /** Settles at once when `count` is 0. */
  constructor(
    event: Message,
    count: number,
    resolve: () => void,
    reject: (error: EventDeliveryError) => void,
    release: FanOutRelease,
  ) {
    this.#event = event;
    this.#pending = count;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#release = release;
    if (count === 0) this.#settle();
  }

  /** Notes a run that succeeded. Arrow properties: handed to `then` as they are. */
  readonly succeeded = (): void => {
    if (--this.#pending === 0) this.#settle();
  };

  /** Notes a run that held a concurrency slot and succeeded: gives the slot back first. */
  readonly succeededInSlot = (): void => {
    this.#release.slot();
    if (--this.#pending === 0) this.#settle();
  };

  /** Notes that run `index` (of handler `handler`) failed with `error`, giving its slot back if it held one. */
  failed(index: number, handler: string, error: unknown, inSlot: boolean): void {
    if (inSlot) this.#release.slot();
    (this.#failures ??= [])[index] = { event: this.#event, handler, error: toError(error) };
    if (--this.#pending === 0) this.#settle();
  }

  #settle(): void {
    this.#release.delivery?.(this.#event);
    const failures = this.#failures;
    if (failures === undefined) this.#resolve();
    else this.#reject(new EventDeliveryError(failures.filter((failure) => failure !== undefined)));
  }
}
