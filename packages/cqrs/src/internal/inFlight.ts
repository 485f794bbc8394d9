import type { Message } from '@keel/core';
import { causesInFlight } from './causesInFlight.js';

/**
 * The messages a bus is delivering right now, by message id (counted: the same event may be
 * delivered twice at once). An event whose causation id is among them was published from one
 * of their handlers, directly or through commands, queries and events handled in between (see
 * {@link causesInFlight}): a nested publish, which must not wait behind its own cause.
 *
 * Most of the time one delivery runs at a time, so the first id in flight is kept in a field of
 * its own: entering and leaving it touches no map (a `Map` that gains and loses one key per
 * delivery keeps rehashing its table).
 */
export class InFlight {
  /** The id in the single slot, if any, and how many deliveries of it are running. */
  #first: string | undefined;
  #firstCount = 0;
  /** Every other id in flight, with its count. */
  readonly #ids = new Map<string, number>();
  readonly #has = (id: string): boolean => this.has(id);

  /** Notes that delivery of `message` started. */
  enter(message: Message): void {
    causesInFlight.enter(message);
    const id = message.metadata.messageId;
    if (this.#first === id) {
      this.#firstCount++;
    } else if (this.#first === undefined && !this.#ids.has(id)) {
      this.#first = id;
      this.#firstCount = 1;
    } else {
      this.#ids.set(id, (this.#ids.get(id) ?? 0) + 1);
    }
  }

  /** Notes that one delivery of `message` ended. */
  leave(message: Message): void {
    causesInFlight.leave(message);
    const id = message.metadata.messageId;
    if (this.#first === id) {
      if (--this.#firstCount === 0) this.#first = undefined;
      return;
    }
    const count = this.#ids.get(id) ?? 0;
    if (count <= 1) this.#ids.delete(id);
    else this.#ids.set(id, count - 1);
  }

  /** Whether a message with this id is being delivered now. */
  has(id: string): boolean {
    return this.#first === id || this.#ids.has(id);
  }

  /**
   * Whether `message` names as its cause a message being delivered now, or a message being
   * handled now (by any bus) whose causes lead to one.
   */
  causedByOneOf(message: Message): boolean {
    return causesInFlight.leadsTo(message, this.#has);
  }
}
