/** What a subscription makes of a delivery: a new event, or a copy of one it holds or settled lately. */
export type DeliveryKind = 'new' | 'held' | 'settled';

/**
 * The events a subscription holds (waiting for their turn or being handled), by stream sequence,
 * and the ones it settled lately, with the highest delivery count seen of each. JetStream sends a
 * new copy of an event whenever `ackWaitMs` passes without an ack or progress report; a copy of an
 * event already held, or older than the last copy seen of one settled, is not handled again.
 */
export class HeldDeliveries {
  readonly #held = new Map<number, number>();
  readonly #settled = new Map<number, number>();
  readonly #remember: number;

  /** @param remember How many settled events to remember. */
  constructor(remember: number) {
    this.#remember = remember;
  }

  /** Events held. */
  get size(): number {
    return this.#held.size;
  }

  /** Classifies a delivery of stream sequence `seq`, holding it when it is new. */
  receive(seq: number, deliveryCount: number): DeliveryKind {
    const held = this.#held.get(seq);
    if (held !== undefined) {
      this.#held.set(seq, Math.max(held, deliveryCount));
      return 'held';
    }
    const settled = this.#settled.get(seq);
    // A later delivery than any seen is a real redelivery (after a nak, or handed back).
    if (settled !== undefined && deliveryCount <= settled) return 'settled';
    this.#settled.delete(seq);
    this.#held.set(seq, deliveryCount);
    return 'new';
  }

  /** Forgets a held event once it is acknowledged, naked or dead-lettered. */
  release(seq: number): void {
    const seen = this.#held.get(seq);
    if (seen === undefined) return;
    this.#held.delete(seq);
    this.#settled.set(seq, seen);
    // Maps iterate in insertion order: drop the oldest.
    if (this.#settled.size <= this.#remember) return;
    const oldest = this.#settled.keys().next();
    if (oldest.done !== true) this.#settled.delete(oldest.value);
  }
}
