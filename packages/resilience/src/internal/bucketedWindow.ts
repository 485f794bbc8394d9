import type { Clock } from '@keel/core';

/**
 * Counters over a rolling time window split into buckets: adding and summing cost O(buckets)
 * at most, and memory is fixed whatever the call rate.
 */
export class BucketedWindow {
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #fields: number;
  readonly #values: Float64Array;
  readonly #starts: Float64Array;

  constructor(clock: Clock, windowMs: number, buckets: number, fields: number) {
    this.#clock = clock;
    this.#buckets = buckets;
    this.#fields = fields;
    this.#bucketMs = windowMs / buckets;
    this.#values = new Float64Array(buckets * fields);
    this.#starts = new Float64Array(buckets).fill(-Infinity);
  }

  /** Adds `amount` to counter `field` of the current bucket. */
  add(field: number, amount = 1): void {
    const index = this.#current();
    this.#values[index * this.#fields + field]! += amount;
  }

  /** The total of counter `field` over the window. */
  sum(field: number): number {
    const now = Math.floor(this.#clock.now() / this.#bucketMs);
    let total = 0;
    for (let slot = 0; slot < this.#buckets; slot++) {
      if (this.#starts[slot]! > now - this.#buckets) total += this.#values[slot * this.#fields + field]!;
    }
    return total;
  }

  /** Forgets every count. */
  reset(): void {
    this.#values.fill(0);
    this.#starts.fill(-Infinity);
  }

  #current(): number {
    const bucket = Math.floor(this.#clock.now() / this.#bucketMs);
    const slot = ((bucket % this.#buckets) + this.#buckets) % this.#buckets;
    if (this.#starts[slot] !== bucket) {
      this.#starts[slot] = bucket;
      this.#values.fill(0, slot * this.#fields, (slot + 1) * this.#fields);
    }
    return slot;
  }
}
