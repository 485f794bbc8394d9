import { assertOptions, integerIn, numberAbove } from '../internal/options.js';
import { murmur3 } from './murmur3.js';

/** A node of a {@link HashRing}: its id and, optionally, its relative weight. */
export interface RingNode {
  /** The node's stable id, e.g. `cache-1` or `10.0.0.7:6379`. */
  readonly id: string;
  /** Relative capacity: a node of weight 2 owns about twice the keys of weight 1. @default 1 */
  readonly weight?: number;
}

/** Options of {@link HashRing}. */
export interface HashRingOptions {
  /**
   * Points on the ring per unit of weight. More points spread keys more evenly (the spread
   * shrinks like 1/√points) at the cost of memory and rebuild time.
   * @default 160
   */
  virtualNodes?: number;
  /** The 32-bit hash of keys and points. @default murmur3 */
  hash?: (key: string) => number;
}

const BUCKET_SHIFT = 20;
const BUCKETS = 2 ** (32 - BUCKET_SHIFT);

/** The defaults of {@link HashRingOptions}. */
export const HASH_RING_DEFAULTS = Object.freeze({ virtualNodes: 160, hash: murmur3 });

/**
 * A consistent-hash ring (ketama style) with virtual nodes and weights. Each node owns the arcs
 * that end at its points; a key belongs to the first point at or after its hash. Adding a node
 * only takes keys from others (about weight/total of them), and removing one only moves its
 * own keys.
 *
 * @example
 * ```ts
 * const ring = new HashRing(['a', 'b', { id: 'c', weight: 2 }]);
 * ring.get('user-42');        // 'c', say
 * ring.getN('user-42', 2);    // ['c', 'a']: distinct nodes in ring order
 * ```
 */
export class HashRing {
  readonly #virtualNodes: number;
  readonly #hash: (key: string) => number;
  readonly #weights = new Map<string, number>();
  #points = new Uint32Array(0);
  #owners: string[] = [];
  /** `#buckets[b]` is the first point index in hash bucket `b` (top 12 bits), to narrow searches. */
  #buckets = new Uint32Array(BUCKETS + 1);

  /**
   * @param nodes The initial nodes (ids or `{ id, weight }`).
   * @param options Virtual nodes per unit of weight and the hash function.
   * @throws {ValidationError} When an option or a weight is out of range.
   */
  constructor(nodes: Iterable<string | RingNode> = [], options: HashRingOptions = {}) {
    const virtualNodes = options.virtualNodes ?? HASH_RING_DEFAULTS.virtualNodes;
    assertOptions('HashRing options', [['virtualNodes', integerIn(virtualNodes, 1, 100_000)]]);
    this.#virtualNodes = virtualNodes;
    this.#hash = options.hash ?? HASH_RING_DEFAULTS.hash;
    for (const node of nodes) this.#setWeight(node);
    this.#rebuild();
  }

  /** How many nodes the ring holds. */
  get size(): number {
    return this.#weights.size;
  }

  /** How many points (virtual nodes) the ring holds. */
  get pointCount(): number {
    return this.#points.length;
  }

  /** The node ids, in insertion order. */
  nodes(): string[] {
    return [...this.#weights.keys()];
  }

  /** Whether the ring holds `id`. */
  has(id: string): boolean {
    return this.#weights.has(id);
  }

  /** The weight of `id`, or `undefined` when it is not on the ring. */
  weightOf(id: string): number | undefined {
    return this.#weights.get(id);
  }

  /** Adds nodes (or changes the weight of existing ones) and rebuilds the ring once. */
  add(...nodes: (string | RingNode)[]): this {
    for (const node of nodes) this.#setWeight(node);
    this.#rebuild();
    return this;
  }

  /** Removes nodes by id; unknown ids are ignored. Returns whether any was removed. */
  remove(...ids: string[]): boolean {
    let removed = false;
    for (const id of ids) removed = this.#weights.delete(id) || removed;
    if (removed) this.#rebuild();
    return removed;
  }

  /** The node that owns `key`, or `undefined` when the ring is empty. */
  get(key: string): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.#owners[this.#indexOf(this.#hash(key))];
  }

  /** The node that owns a 32-bit hash position, or `undefined` when the ring is empty. */
  ownerOfHash(hash: number): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.#owners[this.#indexOf(hash >>> 0)];
  }

  /** The hash of `key` with this ring's hash function. */
  hashOf(key: string): number {
    return this.#hash(key) >>> 0;
  }

  /** A copy of this ring with the same nodes, weights and options. */
  clone(): HashRing {
    const nodes = [...this.#weights].map(([id, weight]) => ({ id, weight }));
    return new HashRing(nodes, { virtualNodes: this.#virtualNodes, hash: this.#hash });
  }

  /**
   * Up to `count` distinct nodes for `key`, walking the ring clockwise from it: the owner
   * first, then the replicas. Fewer are returned when the ring has fewer nodes.
   */
  getN(key: string, count: number): string[] {
    const wanted = Math.min(count, this.#weights.size);
    const found: string[] = [];
    if (wanted <= 0) return found;
    const start = this.#indexOf(this.#hash(key));
    for (let step = 0; step < this.#points.length && found.length < wanted; step++) {
      const owner = this.#owners[(start + step) % this.#points.length]!;
      if (!found.includes(owner)) found.push(owner);
    }
    return found;
  }

  /**
   * The distinct nodes clockwise from `key`, lazily: the owner first, then each next node met.
   * Stop early to look at only the first few.
   */
  *walk(key: string): Generator<string, void, undefined> {
    const count = this.#points.length;
    if (count === 0) return;
    const seen = new Set<string>();
    const start = this.#indexOf(this.#hash(key));
    for (let step = 0; step < count && seen.size < this.#weights.size; step++) {
      const owner = this.#owners[(start + step) % count]!;
      if (seen.has(owner)) continue;
      seen.add(owner);
      yield owner;
    }
  }

  /** The ring's point positions in ascending order (a copy), e.g. for rebalance plans. */
  positions(): Uint32Array {
    return this.#points.slice();
  }

  /** The share of the 32-bit hash space each node owns (sums to 1). */
  ownership(): Map<string, number> {
    const shares = new Map<string, number>([...this.#weights.keys()].map((id) => [id, 0]));
    const count = this.#points.length;
    for (let index = 0; index < count; index++) {
      const previous = index === 0 ? this.#points[count - 1]! - 4294967296 : this.#points[index - 1]!;
      const owner = this.#owners[index]!;
      shares.set(owner, shares.get(owner)! + (this.#points[index]! - previous) / 4294967296);
    }
    return shares;
  }

  /** Index of the first point at or after `hash`, wrapping to 0. */
  #indexOf(hash: number): number {
    const points = this.#points;
    const bucket = hash >>> BUCKET_SHIFT;
    // Points of this bucket lie in [low, high); the answer is one of them or `high`.
    let low = this.#buckets[bucket]!;
    let high = this.#buckets[bucket + 1]!;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return low === points.length ? 0 : low;
  }

  #setWeight(node: string | RingNode): void {
    const id = typeof node === 'string' ? node : node.id;
    const weight = typeof node === 'string' ? 1 : (node.weight ?? 1);
    assertOptions(`HashRing node "${id}"`, [['weight', numberAbove(weight, 0)]]);
    this.#weights.set(id, weight);
  }

  #rebuild(): void {
    const entries: { position: number; owner: string }[] = [];
    for (const [id, weight] of this.#weights) {
      const count = Math.max(1, Math.round(this.#virtualNodes * weight));
      for (let replica = 0; replica < count; replica++) {
        entries.push({ position: this.#hash(`${id}#${replica}`), owner: id });
      }
    }
    // Ties (hash collisions) are broken by owner id so every process builds the same ring.
    entries.sort((a, b) => a.position - b.position || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    this.#points = Uint32Array.from(entries, (entry) => entry.position);
    this.#owners = entries.map((entry) => entry.owner);
    let index = 0;
    for (let bucket = 0; bucket <= BUCKETS; bucket++) {
      const start = bucket * 2 ** BUCKET_SHIFT;
      while (index < this.#points.length && this.#points[index]! < start) index++;
      this.#buckets[bucket] = index;
    }
  }
}
