import type { WriteOperation } from '@keel/scaling';

/** A product row of the simulated database. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly priceCents: number;
}

/**
 * A slow database stand-in: every read costs `readLatencyMs` and every batch write
 * `writeLatencyMs` of (accounted, not slept) database time, and it counts the calls, so the
 * example shows how much work the caches save without waiting for it.
 */
export class SimulatedDatabase {
  readonly readLatencyMs = 25;
  readonly writeLatencyMs = 40;
  reads = 0;
  rowWrites = 0;
  batches = 0;
  busyMs = 0;
  readonly #rows = new Map<string, Product>();

  constructor(productCount: number) {
    for (let index = 0; index < productCount; index++) {
      const id = `product-${index}`;
      this.#rows.set(id, { id, name: `Product #${index}`, priceCents: 1_000 + index });
    }
  }

  /** Reads one product; yields to the event loop like real I/O would. */
  async load(id: string): Promise<Product> {
    this.reads++;
    this.busyMs += this.readLatencyMs;
    await new Promise((resolve) => setImmediate(resolve));
    const row = this.#rows.get(id);
    if (row === undefined) throw new Error(`No product "${id}".`);
    return row;
  }

  /** Applies one write-behind batch in one round trip. */
  async saveAll(batch: readonly WriteOperation<string, Product>[]): Promise<void> {
    this.batches++;
    this.busyMs += this.writeLatencyMs;
    await new Promise((resolve) => setImmediate(resolve));
    for (const operation of batch) {
      this.rowWrites++;
      if (operation.type === 'set') this.#rows.set(operation.key, operation.value);
      else this.#rows.delete(operation.key);
    }
  }

  /** The stored row, for checks (costs nothing). */
  peek(id: string): Product | undefined {
    return this.#rows.get(id);
  }
}
