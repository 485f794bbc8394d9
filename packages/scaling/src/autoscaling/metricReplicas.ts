/** One observed metric and its target, e.g. average CPU utilization 0.9 against 0.6. */
export interface MetricSample {
  /** A name for reports, e.g. `cpu` or `queue-depth`. @default `metric-<index>` */
  readonly name?: string | undefined;
  /** The observed value: a per-replica average, or a total when `kind` is `total`. */
  readonly current: number;
  /** The desired value per replica (above 0). */
  readonly target: number;
  /**
   * `average` (HPA `Utilization`/`AverageValue` of pod metrics): `current` is the mean over
   * replicas, desired = ⌈replicas × current / target⌉. `total` (HPA external `AverageValue`):
   * `current` is the sum over all replicas, desired = ⌈current / target⌉.
   * @default 'average'
   */
  readonly kind?: 'average' | 'total' | undefined;
}

/** The replica count one metric asks for. */
export interface MetricRecommendation {
  readonly name: string;
  /** current / target as a usage ratio (1 = on target). */
  readonly ratio: number;
  readonly replicas: number;
  /** Whether the ratio was within tolerance, so the metric asks for no change. */
  readonly withinTolerance: boolean;
}

/**
 * The replicas one metric asks for, HPA style: the usage ratio against the target, no change
 * when it is within `tolerance` of 1, otherwise rounded up.
 */
export function metricReplicas(
  sample: MetricSample,
  index: number,
  currentReplicas: number,
  tolerance: number,
): MetricRecommendation {
  const name = sample.name ?? `metric-${index}`;
  const total = sample.kind === 'total';
  const ratio = total ? sample.current / (sample.target * currentReplicas) : sample.current / sample.target;
  // The epsilon makes a ratio of exactly 1 ± tolerance count as within it despite float rounding.
  if (Math.abs(1 - ratio) <= tolerance + 1e-9)
    return { name, ratio, replicas: currentReplicas, withinTolerance: true };
  const replicas = total ? Math.ceil(sample.current / sample.target) : Math.ceil(ratio * currentReplicas);
  return { name, ratio, replicas, withinTolerance: false };
}
