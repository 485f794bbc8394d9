/** A past unstabilized recommendation, kept for stabilization windows. */
export interface PastRecommendation {
  /** When it was made, in clock ms. */
  readonly at: number;
  readonly replicas: number;
}

/** A past change of the replica count, kept for rate policies. */
export interface ScaleEvent {
  /** When it happened, in clock ms. */
  readonly at: number;
  /** Replicas added (positive) or removed (negative). */
  readonly change: number;
}

/** What {@link recommendReplicas} remembers between calls; treat it as opaque and pass it back. */
export interface ScalingHistory {
  readonly recommendations: readonly PastRecommendation[];
  readonly events: readonly ScaleEvent[];
}

/** A history with nothing in it: the start of every autoscaler. */
export const EMPTY_SCALING_HISTORY: ScalingHistory = Object.freeze({
  recommendations: Object.freeze([]),
  events: Object.freeze([]),
});

/** Replicas added and removed within the last `periodSeconds`. */
export function changesWithin(
  events: readonly ScaleEvent[],
  now: number,
  periodSeconds: number,
): { added: number; removed: number } {
  const cutoff = now - periodSeconds * 1_000;
  let added = 0;
  let removed = 0;
  for (const event of events) {
    if (event.at <= cutoff) continue;
    if (event.change > 0) added += event.change;
    else removed -= event.change;
  }
  return { added, removed };
}
