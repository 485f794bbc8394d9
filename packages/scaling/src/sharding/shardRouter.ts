import { HashRing } from '../hashing/hashRing.js';
import { murmur3 } from '../hashing/murmur3.js';
import type { RingNode } from '../hashing/hashRing.js';
import { assertOptions, optionInteger, withDefaults } from '@keel/core';
import { NoNodeAvailableError } from './shardingErrors.js';
import { keyMove, movedFraction, ownershipDelta } from './rebalancePlan.js';
import type { KeyMove, RebalancePlan } from './rebalancePlan.js';

/** Options of {@link ShardRouter}. */
export interface ShardRouterOptions {
  /** How many distinct nodes hold each key (the primary plus replicas), from 1 to 1000. @default 1 */
  replicationFactor?: number | undefined;
  /** Ring points per unit of node weight, from 1 to 100_000. @default 160 */
  virtualNodes?: number | undefined;
  /**
   * The 32-bit hash of keys and points, read as an unsigned position (modulo 2^32), so signed
   * results (`murmur3(key) | 0`) work too (see `HashRing`).
   * @default murmur3
   */
  hash?: ((key: string) => number) | undefined;
}

/** The defaults of {@link ShardRouterOptions}. */
export const SHARD_ROUTER_DEFAULTS = Object.freeze({
  replicationFactor: 1,
  virtualNodes: 160,
  hash: murmur3,
});

/** A change of membership to plan or apply: nodes to add (or re-weight) and ids to remove. */
export interface NodeChange {
  /** Nodes to add, or existing nodes with a new weight. */
  readonly add?: readonly (string | RingNode)[] | undefined;
  /** Ids of nodes to remove. */
  readonly remove?: readonly string[] | undefined;
}

/**
 * Routes keys to shards on a consistent-hash ring, with a replication factor (each key's
 * preference list holds that many distinct nodes) and rebalance plans that say exactly which
 * keys — or what share of the key space — move when nodes join or leave.
 *
 * @example
 * ```ts
 * const router = new ShardRouter(['db-1', 'db-2', 'db-3'], { replicationFactor: 2 });
 * router.route('order-7');          // 'db-2'
 * router.preferenceList('order-7'); // ['db-2', 'db-3']
 * const plan = router.planRebalance({ add: ['db-4'] }, keys);
 * plan.movedFraction;               // ≈ 0.25
 * router.apply({ add: ['db-4'] });
 * ```
 */
export class ShardRouter {
  readonly #replicationFactor: number;
  #ring: HashRing;

  /**
   * @param nodes The initial nodes (ids or `{ id, weight }`).
   * @param options Replication factor, virtual nodes and hash; an option left out or
   *   `undefined` keeps its default.
   * @throws {ValidationError} When an option, an id or a weight is out of range (see `HashRing`).
   */
  constructor(nodes: Iterable<string | RingNode> = [], options: ShardRouterOptions = {}) {
    const { replicationFactor, virtualNodes, hash } = withDefaults(SHARD_ROUTER_DEFAULTS, options);
    assertOptions('ShardRouter', {
      replicationFactor: optionInteger(replicationFactor, { min: 1, max: 1_000 }),
    });
    this.#replicationFactor = replicationFactor;
    this.#ring = new HashRing(nodes, { virtualNodes, hash });
  }

  /** How many distinct nodes hold each key (capped by the number of nodes). */
  get replicationFactor(): number {
    return this.#replicationFactor;
  }

  /** The node ids, in insertion order. */
  nodes(): string[] {
    return this.#ring.nodes();
  }

  /**
   * The primary node of `key`.
   * @throws {NoNodeAvailableError} When the router has no nodes.
   */
  route(key: string): string {
    const node = this.#ring.get(key);
    if (node === undefined) throw new NoNodeAvailableError(key);
    return node;
  }

  /**
   * The distinct nodes that hold `key`, primary first: `replicationFactor` of them, or every
   * node when there are fewer.
   * @throws {NoNodeAvailableError} When the router has no nodes.
   */
  preferenceList(key: string): string[] {
    const list = this.#ring.getN(key, this.#replicationFactor);
    if (list.length === 0) throw new NoNodeAvailableError(key);
    return list;
  }

  /** The share of the key space each node holds as primary (sums to 1). */
  ownership(): Map<string, number> {
    return this.#ring.ownership();
  }

  /**
   * Plans a membership change without applying it: the exact share of the key space whose
   * primary moves, each node's gain or loss, and — for the keys given — every key whose
   * preference list changes, with the nodes that must receive a copy and those that may drop
   * one. Apply it with {@link ShardRouter.apply} after copying the data.
   *
   * @param change Nodes to add and ids to remove.
   * @param keys Keys to examine (e.g. the keys currently stored); none by default.
   */
  planRebalance(change: NodeChange, keys: Iterable<string> = []): RebalancePlan {
    const next = this.#ring.clone();
    const before = new Set(this.#ring.nodes());
    if (change.add !== undefined && change.add.length > 0) next.add(...change.add);
    if (change.remove !== undefined) next.remove(...change.remove);
    const moves: KeyMove[] = [];
    let keysExamined = 0;
    for (const key of keys) {
      keysExamined++;
      const move = keyMove(
        key,
        this.#ring.getN(key, this.#replicationFactor),
        next.getN(key, this.#replicationFactor),
      );
      if (move !== undefined) moves.push(move);
    }
    return {
      added: next.nodes().filter((id) => !before.has(id)),
      removed: [...before].filter((id) => !next.has(id)),
      movedFraction: movedFraction(this.#ring, next),
      ownershipDelta: ownershipDelta(this.#ring, next),
      moves,
      keysExamined,
    };
  }

  /** Applies a membership change (add or re-weight, then remove). */
  apply(change: NodeChange): this {
    if (change.add !== undefined && change.add.length > 0) this.#ring.add(...change.add);
    if (change.remove !== undefined) this.#ring.remove(...change.remove);
    return this;
  }
}
