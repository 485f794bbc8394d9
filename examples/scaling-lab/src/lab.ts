import { ShardRouter } from '@keel/scaling';
import type { SimulationResult } from '@keel/scaling';
import { runAutoscaling } from './autoscalingRun.js';
import type { AutoscalingStep } from './autoscalingRun.js';
import { runBalancerLab } from './balancerLab.js';
import { runCachingScenario } from './cachingScenario.js';
import type { CachingReport } from './cachingScenario.js';
import { planShardAddition } from './shardRebalance.js';
import type { RebalanceReport } from './shardRebalance.js';

/** Everything the lab measured. */
export interface LabReport {
  readonly caching: CachingReport;
  readonly shards: RebalanceReport;
  readonly balancers: SimulationResult[];
  readonly autoscaling: AutoscalingStep[];
}

/** Runs every scenario of the lab (deterministic: seeded randomness and virtual clocks). */
export async function runScalingLab(): Promise<LabReport> {
  const keys = Array.from({ length: 10_000 }, (_, index) => `order-${index}`);
  return {
    caching: await runCachingScenario(),
    shards: planShardAddition(
      new ShardRouter(['shard-1', 'shard-2', 'shard-3'], { replicationFactor: 2 }),
      keys,
    ),
    balancers: runBalancerLab(),
    autoscaling: runAutoscaling(),
  };
}
