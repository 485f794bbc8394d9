import {
  assertOptions,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRule,
  optionString,
  withDefaults,
} from '@keel/core';
import type { OptionProblem } from '@keel/core';
import { murmur3 } from './murmur3.js';

/** A node of a {@link HashRing}: its id and, optionally, its relative weight. */
export interface RingNode {
  /** The node's stable id, e.g. `cache-1` or `10.0.0.7:6379`. */
  readonly id: string;
  /** Relative capacity: a node of weight 2 owns about twice the keys of weight 1. @default 1 */
  readonly weight?: number | undefined;
}

/** Options of {@link HashRing}. */
export interface HashRingOptions {
  /**
   * Points on the ring per unit of weight, from 1 to 100_000. More points spread keys more
   * evenly (the spread shrinks like 1/√points) at the cost of memory and rebuild time.
   * @default 160
   */
  virtualNodes?: number | undefined;
  /**
   * The 32-bit hash of keys and points. Its result is read as an unsigned 32-bit position
   * (modulo 2^32, as `>>> 0` does), so a hash that returns signed values (`murmur3(key) | 0`)
   * or larger integers places keys and points alike.
   * @default murmur3
   */
  hash?: ((key: string) => number) | undefined;
}

const BUCKET_SHIFT = 20;
const BUCKETS = 2 ** (32 - BUCKET_SHIFT);

/** The defaults of {@link HashRingOptions}. */
export const HASH_RING_DEFAULTS = Object.freeze({ virtualNodes: 160, hash: murmur3 });

/**
 * The bounds of a {@link HashRing}: `virtualNodes` per unit of weight, and the points of the
 * whole ring (each node has `max(1, round(virtualNodes × weight))` of them). Ten million points
 * take about 160 MB while the ring is rebuilt (80 MB once built) and several seconds to build; a ring that would be
 * larger (e.g. weights used as byte counts) is refused rather than exhausting memory. Scale
 * weights down (only their ratios matter) or lower `virtualNodes`.
 */
export const HASH_RING_LIMITS = Object.freeze({ maxVirtualNodes: 100_000, maxPoints: 10_000_000 });

/** Ranks of node ids packed below a point's hash in one float64 sort key: 2^21 ranks. */
const RANK_BITS = 21;

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
  /** `#ids[#ranks[i]]` is the owner of point `i`. */
  #ranks = new Uint32Array(0);
  #ids: string[] = [];
  /** `#buckets[b]` is the first point index in hash bucket `b` (top 12 bits), to narrow searches. */
  #buckets = new Uint32Array(BUCKETS + 1);

  /**
   * @param nodes The initial nodes (ids or `{ id, weight }`); a repeated id takes the last weight.
   * @param options Virtual nodes per unit of weight and the hash function; an option left out
   *   or `undefined` keeps its default.
   * @throws {ValidationError} When an option or a weight is out of range, or the ring would hold
   *   more than {@link HASH_RING_LIMITS}`.maxPoints` points.
   */
  constructor(nodes: Iterable<string | RingNode> = [], options: HashRingOptions = {}) {
    const { virtualNodes, hash } = withDefaults(HASH_RING_DEFAULTS, options);
    assertOptions('HashRing', {
      virtualNodes: optionInteger(virtualNodes, { min: 1, max: HASH_RING_LIMITS.maxVirtualNodes }),
      hash: optionFunction(hash),
    });
    this.#virtualNodes = virtualNodes;
    this.#hash = hash;
    this.#update([...nodes], []);
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

  /**
   * Adds nodes (or changes the weight of existing ones) and rebuilds the ring once. Every node
   * is checked first: on a `ValidationError` the ring is unchanged.
   * @throws {ValidationError} When an id or weight is invalid or the ring would grow too large.
   */
  add(...nodes: (string | RingNode)[]): this {
    this.#update(nodes, []);
    return this;
  }

  /** Removes nodes by id; unknown ids are ignored. Returns whether any was removed. */
  remove(...ids: string[]): boolean {
    const removed = ids.some((id) => this.#weights.has(id));
    if (removed) this.#update([], ids);
    return removed;
  }

  /** The node that owns `key`, or `undefined` when the ring is empty. */
  get(key: string): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.#ownerAt(this.#indexOf(this.hashOf(key)));
  }

  /** The node that owns a 32-bit hash position, or `undefined` when the ring is empty. */
  ownerOfHash(hash: number): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.#ownerAt(this.#indexOf(hash >>> 0));
  }

  /**
   * The position of `key` on the ring: this ring's hash of it as an unsigned 32-bit integer.
   * Every key and point is placed through this one conversion, so `ownerOfHash(hashOf(key))`
   * is always `get(key)`.
   */
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
    const found: string[] = [];
    if (!(count > 0)) return found;
    for (const node of this.walk(key)) {
      found.push(node);
      if (found.length >= count) break;
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
    const seen = new Set<number>();
    const start = this.#indexOf(this.hashOf(key));
    for (let step = 0; step < count && seen.size < this.#ids.length; step++) {
      const rank = this.#ranks[(start + step) % count]!;
      if (seen.has(rank)) continue;
      seen.add(rank);
      yield this.#ids[rank]!;
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
      const owner = this.#ownerAt(index);
      shares.set(owner, shares.get(owner)! + (this.#points[index]! - previous) / 4294967296);
    }
    return shares;
  }

  #ownerAt(index: number): string {
    return this.#ids[this.#ranks[index]!]!;
  }

  /** Index of the first point at or after `hash` (an unsigned 32-bit position), wrapping to 0. */
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

  #pointsOf(weight: number): number {
    return Math.max(1, Math.round(this.#virtualNodes * weight));
  }

  /** Checks the whole change first, then applies it and rebuilds, so a refused change changes nothing. */
  #update(added: readonly (string | RingNode)[], removed: readonly string[]): void {
    const weights = new Map(this.#weights);
    const checks: Record<string, OptionProblem> = {};
    added.forEach((node, index) => {
      const id: unknown = typeof node === 'string' ? node : node?.id;
      const weight: unknown = typeof node === 'string' ? 1 : (node?.weight ?? 1);
      const idProblem = optionString(id, true);
      const weightProblem = optionNumber(weight, { min: 0, exclusiveMin: true });
      checks[`nodes.${index}.id`] = idProblem;
      checks[`nodes.${index}.weight`] = weightProblem;
      if (idProblem === undefined && weightProblem === undefined) weights.set(id as string, weight as number);
    });
    for (const id of removed) weights.delete(id);
    let points = 0;
    for (const weight of weights.values()) points += this.#pointsOf(weight);
    const { maxPoints } = HASH_RING_LIMITS;
    checks['nodes'] = optionRule(
      points <= maxPoints,
      `would place ${points} points on the ring (virtualNodes ${this.#virtualNodes} × weight per node); at most ${maxPoints} are allowed. Scale the weights down (only their ratios matter) or lower virtualNodes.`,
    );
    assertOptions('HashRing', checks);
    this.#weights.clear();
    for (const [id, weight] of weights) this.#weights.set(id, weight);
    this.#rebuild(points);
  }

  #rebuild(total: number): void {
    // Ties (hash collisions) are broken by owner id so every process builds the same ring.
    this.#ids = [...this.#weights.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const packed = this.#ids.length <= 2 ** RANK_BITS;
    // Sort keys: hash × 2^21 + rank is exact in a float64 (53 bits), so a plain numeric sort
    // orders points by hash and then by owner id without a comparator or an object per point.
    const keys = new Float64Array(total);
    const ranks = new Uint32Array(total);
    let at = 0;
    this.#ids.forEach((id, rank) => {
      const count = this.#pointsOf(this.#weights.get(id)!);
      for (let replica = 0; replica < count; replica++, at++) {
        const position = this.hashOf(`${id}#${replica}`);
        keys[at] = packed ? position * 2 ** RANK_BITS + rank : position;
        ranks[at] = rank;
      }
    });
    this.#points = new Uint32Array(total);
    if (packed) {
      keys.sort();
      this.#ranks = ranks;
      for (let index = 0; index < total; index++) {
        const key = keys[index]!;
        const rank = key % 2 ** RANK_BITS;
        this.#points[index] = (key - rank) / 2 ** RANK_BITS;
        this.#ranks[index] = rank;
      }
    } else {
      const order = Uint32Array.from({ length: total }, (_, index) => index);
      order.sort((a, b) => keys[a]! - keys[b]! || ranks[a]! - ranks[b]!);
      this.#ranks = Uint32Array.from(order, (index) => ranks[index]!);
      this.#points = Uint32Array.from(order, (index) => keys[index]!);
    }
    this.#fillBuckets();
  }

  #fillBuckets(): void {
    let index = 0;
    for (let bucket = 0; bucket <= BUCKETS; bucket++) {
      const start = bucket * 2 ** BUCKET_SHIFT;
      while (index < this.#points.length && this.#points[index]! < start) index++;
      this.#buckets[bucket] = index;
    }
  }
}
