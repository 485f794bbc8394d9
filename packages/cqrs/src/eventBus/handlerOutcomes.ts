import { toError } from '@keel/core';
import type { Message } from '@keel/core';
import { EventDeliveryError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';

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
  /** Runs after the last outcome and before the promise settles (e.g. to end the delivery). */
  readonly #onSettled: (() => void) | undefined;
  #pending: number;
  #failures: Array<EventHandlerFailure | undefined> | undefined;

  /** Settles at once when `count` is 0. */
  constructor(
    event: Message,
    count: number,
    resolve: () => void,
    reject: (error: EventDeliveryError) => void,
    onSettled?: () => void,
  ) {
    this.#event = event;
    this.#pending = count;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#onSettled = onSettled;
    if (count === 0) this.#settle();
  }

  /** Notes a run that succeeded. An arrow property: handed to `then` as it is. */
  readonly succeeded = (): void => {
    if (--this.#pending === 0) this.#settle();
  };

  /** Notes that run `index` (of handler `handler`) failed with `error`. */
  failed(index: number, handler: string, error: unknown): void {
    (this.#failures ??= [])[index] = { event: this.#event, handler, error: toError(error) };
    if (--this.#pending === 0) this.#settle();
  }

  #settle(): void {
    this.#onSettled?.();
    const failures = this.#failures;
    if (failures === undefined) this.#resolve();
    else this.#reject(new EventDeliveryError(failures.filter((failure) => failure !== undefined)));
  }
}
