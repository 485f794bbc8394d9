import type { HashRing } from '../hashing/hashRing.js';

/** How one key's placement changes in a {@link RebalancePlan}. */
export interface KeyMove {
  /** The key. */
  readonly key: string;
  /** Its preference list (primary first) before the change. */
  readonly from: readonly string[];
  /** Its preference list after the change. */
  readonly to: readonly string[];
  /** Whether the primary (first) node changes. */
  readonly primaryChanged: boolean;
  /** Nodes that must receive a copy: in `to` but not in `from`. */
  readonly copyTo: readonly string[];
  /** Nodes that may drop their copy once the new ones hold it: in `from` but not in `to`. */
  readonly dropFrom: readonly string[];
}

/** What a change of nodes does to the data: see {@link ShardRouter.planRebalance}. */
export interface RebalancePlan {
  /** Nodes added by the change. */
  readonly added: readonly string[];
  /** Nodes removed by the change. */
  readonly removed: readonly string[];
  /** Exact share of the hash space (0..1) whose primary node changes. */
  readonly movedFraction: number;
  /** Share of the hash space each node gains (positive) or loses (negative) as primary. */
  readonly ownershipDelta: ReadonlyMap<string, number>;
  /** The keys given to the plan whose preference list changes, in the order given. */
  readonly moves: readonly KeyMove[];
  /** How many of the given keys were examined. */
  readonly keysExamined: number;
}

const SPACE = 4294967296;

/**
 * The exact share of the 32-bit hash space whose owner differs between two rings: every
 * elementary interval between consecutive points of either ring has one owner in each ring.
 */
export function movedFraction(before: HashRing, after: HashRing): number {
  const bounds = [...new Set([...before.positions(), ...after.positions()])].sort((a, b) => a - b);
  if (bounds.length === 0) return 0;
  let moved = 0;
  for (let index = 0; index < bounds.length; index++) {
    const end = bounds[index]!;
    const start = index === 0 ? bounds[bounds.length - 1]! - SPACE : bounds[index - 1]!;
    if (before.ownerOfHash(end) !== after.ownerOfHash(end)) moved += end - start;
  }
  return moved / SPACE;
}

/** Per-node change of primary ownership between two rings. */
export function ownershipDelta(before: HashRing, after: HashRing): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [id, share] of after.ownership()) delta.set(id, share);
  for (const [id, share] of before.ownership()) delta.set(id, (delta.get(id) ?? 0) - share);
  return delta;
}

/** The move of one key between two preference lists, or `undefined` when nothing changes. */
export function keyMove(key: string, from: readonly string[], to: readonly string[]): KeyMove | undefined {
  const copyTo = to.filter((node) => !from.includes(node));
  const dropFrom = from.filter((node) => !to.includes(node));
  const primaryChanged = from[0] !== to[0];
  if (!primaryChanged && copyTo.length === 0 && dropFrom.length === 0) return undefined;
  return { key, from, to, primaryChanged, copyTo, dropFrom };
}
