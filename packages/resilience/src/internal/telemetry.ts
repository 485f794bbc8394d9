import {
  addSpanEvent,
  defineMetric,
  recordMetric,
  telemetryEnabled,
  errorTypeOf,
  DURATION_BUCKETS,
} from '@keel/core';
import type { Attributes } from '@keel/core';

// Every span event and metric @keel/resilience reports, in one place. Policies never call
// OpenTelemetry: they go through core's points, which cost one check when nothing is installed.

/** The metrics of @keel/resilience. */
export const RESILIENCE_METRICS = Object.freeze({
  duration: defineMetric({
    name: 'keel.resilience.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of each call a resilience policy ran (every retry or hedged attempt), by outcome.',
    buckets: DURATION_BUCKETS,
  }),
  rejections: defineMetric({
    name: 'keel.resilience.rejections',
    kind: 'counter',
    unit: '{call}',
    description: 'Calls a policy refused to run (open circuit, full bulkhead, rate limit), by reason.',
  }),
  retries: defineMetric({
    name: 'keel.resilience.retries',
    kind: 'counter',
    unit: '{retry}',
    description: 'Retries scheduled after a failed attempt.',
  }),
  giveUps: defineMetric({
    name: 'keel.resilience.give_ups',
    kind: 'counter',
    unit: '{call}',
    description: 'Calls a retry policy stopped retrying while they still failed, by reason.',
  }),
  circuitState: defineMetric({
    name: 'keel.resilience.circuit.state',
    kind: 'gauge',
    unit: '1',
    description:
      'Whether a circuit breaker is in the state of the keel.circuit.state attribute (1) or not (0).',
  }),
  circuitTransitions: defineMetric({
    name: 'keel.resilience.circuit.transitions',
    kind: 'counter',
    unit: '{transition}',
    description: 'Circuit breaker state transitions, by the state left and the state entered.',
  }),
  bulkheadExecuting: defineMetric({
    name: 'keel.resilience.bulkhead.executing',
    kind: 'gauge',
    unit: '{call}',
    description: 'Calls running inside a bulkhead.',
  }),
  bulkheadQueued: defineMetric({
    name: 'keel.resilience.bulkhead.queued',
    kind: 'gauge',
    unit: '{call}',
    description: 'Calls waiting in a bulkhead queue for a slot.',
  }),
  rateLimitDecisions: defineMetric({
    name: 'keel.resilience.rate_limit.decisions',
    kind: 'counter',
    unit: '{decision}',
    description: 'Rate limiter decisions, allowed or rejected.',
  }),
  hedges: defineMetric({
    name: 'keel.resilience.hedges',
    kind: 'counter',
    unit: '{attempt}',
    description: 'Hedged attempts launched beyond the primary, by trigger.',
  }),
  hedgeWins: defineMetric({
    name: 'keel.resilience.hedge.wins',
    kind: 'counter',
    unit: '{call}',
    description: 'Hedged calls that succeeded, by winner (primary or hedge).',
  }),
  timeouts: defineMetric({
    name: 'keel.resilience.timeouts',
    kind: 'counter',
    unit: '{call}',
    description: 'Calls that ended with a TimeoutError.',
  }),
  fallbacks: defineMetric({
    name: 'keel.resilience.fallbacks',
    kind: 'counter',
    unit: '{call}',
    description: 'Failures replaced by a fallback value.',
  }),
  chaosInjections: defineMetric({
    name: 'keel.resilience.chaos.injections',
    kind: 'counter',
    unit: '{injection}',
    description: 'Faults, latencies and results injected by a chaos policy, by kind.',
  }),
});

/** What a policy reports besides call outcomes: each is a span event and a count. */
export type PolicyEventName =
  'retry' | 'giveUp' | 'rejected' | 'timeout' | 'hedge' | 'hedgeWin' | 'fallback' | 'chaos';

/** The span event (if any) and the counter of each policy event. */
const POLICY_EVENTS = Object.freeze({
  retry: { span: 'resilience.retry', metric: RESILIENCE_METRICS.retries },
  giveUp: { span: 'resilience.give_up', metric: RESILIENCE_METRICS.giveUps },
  rejected: { span: 'resilience.rejected', metric: RESILIENCE_METRICS.rejections },
  timeout: { span: 'resilience.timeout', metric: RESILIENCE_METRICS.timeouts },
  hedge: { span: 'resilience.hedge', metric: RESILIENCE_METRICS.hedges },
  // The winner is already visible on the caller's span: it is the call that returned.
  hedgeWin: { span: undefined, metric: RESILIENCE_METRICS.hedgeWins },
  fallback: { span: 'resilience.fallback', metric: RESILIENCE_METRICS.fallbacks },
  chaos: { span: 'resilience.chaos', metric: RESILIENCE_METRICS.chaosInjections },
} satisfies Record<PolicyEventName, { span: string | undefined; metric: unknown }>);

/** The span event of each circuit state entered. */
const CIRCUIT_EVENTS = Object.freeze({
  open: 'resilience.circuit.opened',
  'half-open': 'resilience.circuit.half_opened',
  closed: 'resilience.circuit.closed',
  isolated: 'resilience.circuit.isolated',
});

/** The states a circuit breaker reports (mirrors `CircuitState`). */
export type ReportedCircuitState = keyof typeof CIRCUIT_EVENTS;

/** `error.type` of a failure (core's {@link errorTypeOf}). */
export const errorType = errorTypeOf;

/**
 * Reports a policy event: a counter with the low-cardinality `attributes`, and a span event on
 * the caller's active span with `detail` too (attempt numbers, delays, keys).
 */
export function reportPolicyEvent(
  base: Attributes,
  event: PolicyEventName,
  attributes?: Attributes,
  detail?: Attributes,
): void {
  if (!telemetryEnabled()) return;
  const { span, metric } = POLICY_EVENTS[event];
  const low = attributes === undefined ? base : { ...base, ...attributes };
  recordMetric(metric, 1, low);
  if (span !== undefined) addSpanEvent(span, detail === undefined ? low : { ...low, ...detail });
}

const CIRCUIT_STATES = Object.keys(CIRCUIT_EVENTS) as ReportedCircuitState[];

/** Sets the state gauge of a breaker: 1 for `state`, 0 for every other state. */
export function reportCircuitState(base: Attributes, state: ReportedCircuitState): void {
  if (!telemetryEnabled()) return;
  for (const each of CIRCUIT_STATES) {
    recordMetric(RESILIENCE_METRICS.circuitState, each === state ? 1 : 0, {
      ...base,
      'keel.circuit.state': each,
    });
  }
}

/** Reports a breaker transition: the state gauge, the transitions counter and a span event. */
export function reportCircuitTransition(
  base: Attributes,
  from: ReportedCircuitState,
  to: ReportedCircuitState,
  detail?: Attributes,
): void {
  if (!telemetryEnabled()) return;
  reportCircuitState(base, to);
  const attributes = { ...base, 'keel.circuit.from': from, 'keel.circuit.state': to };
  recordMetric(RESILIENCE_METRICS.circuitTransitions, 1, attributes);
  addSpanEvent(CIRCUIT_EVENTS[to], detail === undefined ? attributes : { ...attributes, ...detail });
}

/** Records a gauge of a policy (bulkhead slots and queue) when telemetry is installed. */
export function reportLevel(
  metric: typeof RESILIENCE_METRICS.bulkheadExecuting,
  base: Attributes,
  value: number,
): void {
  if (telemetryEnabled()) recordMetric(metric, value, base);
}
