import { ManualClock } from '@keel/core';
import { AutoScaler } from '@keel/scaling';
import type { RecommendationReason } from '@keel/scaling';

/** One 15-second evaluation of the autoscaling run. */
export interface AutoscalingStep {
  readonly atSeconds: number;
  /** Offered load in requests per second. */
  readonly load: number;
  /** CPU utilization per replica before the decision (0..1+). */
  readonly utilization: number;
  readonly replicas: number;
  readonly reason: RecommendationReason;
}

/** Requests per second one replica serves at 100% CPU. */
export const CAPACITY_PER_REPLICA = 100;

/** Traffic over 12 minutes: quiet, a ramp, a spike, then a drop back to quiet. */
export function loadAt(seconds: number): number {
  if (seconds < 60) return 150;
  if (seconds < 180) return 150 + (seconds - 60) * 5; // ramp to 750 req/s
  if (seconds < 300) return 1_600; // spike
  return 200;
}

/**
 * Runs an HPA-style autoscaler every 15 s for 12 minutes of virtual time against a 60% CPU
 * target with the Kubernetes default behavior: fast scale-up (limited to +100% or +4 pods per
 * 15 s), scale-down only after 300 s of lower recommendations.
 */
export function runAutoscaling(): AutoscalingStep[] {
  const clock = new ManualClock();
  const scaler = new AutoScaler({ minReplicas: 2, maxReplicas: 30, clock });
  const steps: AutoscalingStep[] = [];
  for (let seconds = 0; seconds <= 720; seconds += 15) {
    const load = loadAt(seconds);
    const utilization = load / (scaler.replicas * CAPACITY_PER_REPLICA);
    const decision = scaler.evaluate([{ name: 'cpu', current: utilization, target: 0.6 }]);
    steps.push({
      atSeconds: seconds,
      load,
      utilization,
      replicas: decision.replicas,
      reason: decision.reason,
    });
    clock.advance(15_000);
  }
  return steps;
}
