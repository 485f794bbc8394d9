import type { ShardRouter } from '@keel/scaling';
import type { RebalancePlan } from '@keel/scaling';

/** The outcome of adding a fourth shard to three. */
export interface RebalanceReport {
  readonly plan: RebalancePlan;
  /** Keys per shard before and after. */
  readonly before: ReadonlyMap<string, number>;
  readonly after: ReadonlyMap<string, number>;
  /** Moved keys whose new primary is not the added shard (always 0 for a consistent ring). */
  readonly movedElsewhere: number;
}

function countByPrimary(router: ShardRouter, keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(router.nodes().map((node) => [node, 0]));
  for (const key of keys) counts.set(router.route(key), (counts.get(router.route(key)) ?? 0) + 1);
  return counts;
}

/**
 * Plans and applies the addition of `shard-4` to a three-shard router with two replicas per key,
 * over the given keys.
 */
export function planShardAddition(
  router: ShardRouter,
  keys: readonly string[],
  added = 'shard-4',
): RebalanceReport {
  const before = countByPrimary(router, keys);
  const plan = router.planRebalance({ add: [added] }, keys);
  router.apply({ add: [added] });
  const movedElsewhere = plan.moves.filter((move) => move.primaryChanged && move.to[0] !== added).length;
  return { plan, before, after: countByPrimary(router, keys), movedElsewhere };
}
