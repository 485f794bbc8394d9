import {
  describeValue,
  optionInteger,
  optionNumber,
  optionRatio,
  optionRule,
  withDefaults,
} from '@keel/core';
import type { Defined, OptionChecks } from '@keel/core';

/** Options of passive outlier detection (after Envoy's outlier detection). */
export interface OutlierDetectionOptions {
  /** Eject after this many failures in a row (`Infinity`: never for this reason). @default 5 */
  consecutiveFailures?: number | undefined;
  /** Eject when the failure rate within one interval reaches this fraction (0..1]. @default 0.5 */
  failureRateThreshold?: number | undefined;
  /** Requests needed within an interval before the failure rate counts. @default 20 */
  minimumRequests?: number | undefined;
  /** Length of the counting interval for the failure rate, and of one decay step of the ejection count, in ms. @default 10_000 */
  intervalMs?: number | undefined;
  /** First ejection time in ms; the n-th ejection lasts n times this. @default 30_000 */
  baseEjectionMs?: number | undefined;
  /** Longest ejection in ms. @default 300_000 */
  maxEjectionMs?: number | undefined;
  /**
   * Largest fraction of endpoints ejected at once; at least one endpoint may always be
   * ejected, and the last endpoint in rotation never is. The bound also holds after
   * `remove()`: when too few endpoints are left for their ejections, those due back soonest
   * return to rotation at once.
   * @default 0.1
   */
  maxEjectedFraction?: number | undefined;
}

/** The defaults of {@link OutlierDetectionOptions}. */
export const OUTLIER_DETECTION_DEFAULTS = Object.freeze({
  consecutiveFailures: 5,
  failureRateThreshold: 0.5,
  minimumRequests: 20,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectedFraction: 0.1,
});

/** Resolved outlier-detection settings. */
export type OutlierDetectionSettings = Readonly<Defined<OutlierDetectionOptions>>;

/**
 * Merges the `outlierDetection` option of a balancer with the defaults (`undefined` keeps the
 * default; `false` turns detection off) and returns its checks, prefixed `outlierDetection.`,
 * for the balancer's single `assertOptions` call.
 */
export function outlierSettings(option: unknown): {
  readonly settings: OutlierDetectionSettings | undefined;
  readonly checks: OptionChecks;
} {
  if (option === false) return { settings: undefined, checks: {} };
  if (option !== undefined && (option === null || typeof option !== 'object')) {
    const problem = `must be outlier detection options or false (got ${describeValue(option)}).`;
    return { settings: undefined, checks: { outlierDetection: problem } };
  }
  const settings = Object.freeze(
    withDefaults(OUTLIER_DETECTION_DEFAULTS, option as OutlierDetectionOptions | undefined),
  );
  return {
    settings,
    checks: {
      'outlierDetection.consecutiveFailures': optionInteger(settings.consecutiveFailures, {
        min: 1,
        infinity: true,
      }),
      'outlierDetection.failureRateThreshold': optionNumber(settings.failureRateThreshold, {
        min: 0,
        exclusiveMin: true,
        max: 1,
      }),
      'outlierDetection.minimumRequests': optionInteger(settings.minimumRequests, { min: 1 }),
      'outlierDetection.intervalMs': optionNumber(settings.intervalMs, { min: 1 }),
      'outlierDetection.baseEjectionMs': optionNumber(settings.baseEjectionMs, { min: 1 }),
      'outlierDetection.maxEjectionMs':
        optionNumber(settings.maxEjectionMs, { min: 1 }) ??
        optionRule(
          !(settings.maxEjectionMs < settings.baseEjectionMs),
          `must be >= baseEjectionMs (got ${settings.maxEjectionMs} < ${settings.baseEjectionMs}).`,
        ),
      'outlierDetection.maxEjectedFraction': optionRatio(settings.maxEjectedFraction),
    },
  };
}

/**
 * How many of `total` endpoints in rotation may be ejected at once: `maxEjectedFraction` of
 * them, at least one, but never all (none of a single endpoint).
 */
export function ejectionCap(total: number, settings: OutlierDetectionSettings): number {
  const allowed = Math.max(1, Math.floor(settings.maxEjectedFraction * total));
  return Math.max(0, Math.min(allowed, total - 1));
}

/** Why an endpoint was ejected. */
export type EjectionReason = 'consecutive-failures' | 'failure-rate';

/** Per-endpoint outlier bookkeeping. */
export class OutlierState {
  consecutiveFailures = 0;
  windowStart = 0;
  windowRequests = 0;
  windowFailures = 0;
  ejectedUntil: number | undefined = undefined;
  ejections = 0;
  lastEjectionEnd = 0;

  /** Records an outcome; returns a reason when the endpoint now qualifies for ejection. */
  record(ok: boolean, now: number, settings: OutlierDetectionSettings): EjectionReason | undefined {
    if (now - this.windowStart >= settings.intervalMs) {
      this.windowStart = now;
      this.windowRequests = 0;
      this.windowFailures = 0;
    }
    this.windowRequests++;
    if (ok) {
      this.consecutiveFailures = 0;
      return undefined;
    }
    this.windowFailures++;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= settings.consecutiveFailures) return 'consecutive-failures';
    const rate = this.windowFailures / this.windowRequests;
    if (this.windowRequests >= settings.minimumRequests && rate >= settings.failureRateThreshold) {
      return 'failure-rate';
    }
    return undefined;
  }

  /** Ejects until a time that grows with repeated ejections; returns that time. */
  eject(now: number, settings: OutlierDetectionSettings): number {
    // The multiplier decays by one for every full interval spent healthy since the last ejection.
    const healthyIntervals =
      this.ejections > 0 ? Math.floor((now - this.lastEjectionEnd) / settings.intervalMs) : 0;
    this.ejections = Math.max(0, this.ejections - healthyIntervals) + 1;
    const duration = Math.min(settings.baseEjectionMs * this.ejections, settings.maxEjectionMs);
    this.ejectedUntil = now + duration;
    return this.ejectedUntil;
  }

  /**
   * Brings the endpoint back with fresh counters. `at` is when its ejection ended: its planned
   * end, or now when it comes back early; healthy time for the decay counts from there.
   */
  restore(at: number = this.ejectedUntil ?? 0): void {
    this.lastEjectionEnd = at;
    this.ejectedUntil = undefined;
    this.consecutiveFailures = 0;
    this.windowRequests = 0;
    this.windowFailures = 0;
  }
}
