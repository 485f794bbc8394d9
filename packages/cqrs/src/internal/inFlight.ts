import type { Message } from '@keel/core';

/**
 * The messages a bus is delivering right now, by message id (counted: the same event may be
 * delivered twice at once). An event whose causation id is among them was published from one
 * of their handlers: a nested publish, which must not wait behind its own cause.
 */
export class InFlight {
  readonly #ids = new Map<string, number>();

  /** Notes that delivery of `id` started. */
  enter(id: string): void {
    this.#ids.set(id, (this.#ids.get(id) ?? 0) + 1);
  }

  /** Notes that one delivery of `id` ended. */
  leave(id: string): void {
    const count = this.#ids.get(id) ?? 0;
    if (count <= 1) this.#ids.delete(id);
    else this.#ids.set(id, count - 1);
  }

  /** Whether a message with this id is being delivered now. */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Whether `message` names as its cause a message being delivered now. */
  causedByOneOf(message: Message): boolean {
    const cause = message.metadata.causationId;
    return cause !== undefined && this.#ids.has(cause);
  }
}
