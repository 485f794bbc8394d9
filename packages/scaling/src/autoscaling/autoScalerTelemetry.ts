import { recordMetric, telemetryEnabled } from '@keel/core';
import {
  AUTOSCALER_CURRENT_REPLICAS,
  AUTOSCALER_DECISIONS,
  AUTOSCALER_DESIRED_REPLICAS,
  AUTOSCALER_METRIC_REPLICAS,
} from '../internal/telemetry.js';
import type { Recommendation } from './recommendReplicas.js';

/** Which way a decision moves the replica count (`keel.autoscaler.direction`). */
function directionOf(current: number, desired: number): 'up' | 'down' | 'none' {
  if (desired > current) return 'up';
  return desired < current ? 'down' : 'none';
}

/** Records one autoscaler evaluation: the decision's reason and direction, and the replica gauges. */
export function recordScalingDecision(name: string, current: number, recommendation: Recommendation): void {
  if (!telemetryEnabled()) return;
  const scaler = { 'keel.autoscaler.name': name };
  recordMetric(AUTOSCALER_DECISIONS, 1, {
    ...scaler,
    'keel.autoscaler.reason': recommendation.reason,
    'keel.autoscaler.direction': directionOf(current, recommendation.replicas),
  });
  recordMetric(AUTOSCALER_CURRENT_REPLICAS, current, scaler);
  recordMetric(AUTOSCALER_DESIRED_REPLICAS, recommendation.replicas, scaler);
  recordMetric(AUTOSCALER_METRIC_REPLICAS, recommendation.metricReplicas, scaler);
}
