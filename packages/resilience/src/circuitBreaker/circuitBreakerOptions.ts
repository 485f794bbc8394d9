import type { Clock, Logger } from '@keel/core';
import { isBackoff } from '../backoff/backoff.js';
import type { Backoff } from '../backoff/backoff.js';
import { callable, integerAtLeast, nonNegative, relation, validateOptions } from '../internal/options.js';
import type { BreakerStrategy, TripReason } from './breakerStrategy.js';
import type { CircuitBreakerSnapshot, CircuitState } from './snapshot.js';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions {
  /** When a closed circuit opens. @default consecutiveFailures(5) */
  strategy?: BreakerStrategy;
  /** How long the circuit stays open: fixed ms, or a backoff over consecutive openings. @default 30_000 */
  breakDuration?: number | Backoff;
  /** Calls admitted as probes while half-open. @default 1 */
  halfOpenProbes?: number;
  /** Successful probes that close the circuit (<= `halfOpenProbes`). @default 1 */
  successThreshold?: number;
  /** A call taking at least this many ms counts as slow (and a slow probe as failed). @default off */
  slowCallDuration?: number;
  /** Which errors count as failures; others pass through uncounted. An aborted caller is never counted. @default every error */
  handle?: (error: unknown) => boolean;
  /** Which results count as failures (e.g. HTTP 5xx). @default none */
  handleResult?: (result: unknown) => boolean;
  /** A saved state to start from (see `exportState()`). @default closed */
  initialState?: CircuitBreakerSnapshot;
  /** Where time comes from. @default systemClock */
  clock?: Clock;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger;
}

/** Payload of {@link CircuitBreakerPolicy.onBreak}. */
export interface BreakEvent {
  /** Why the circuit opened. */
  readonly reason: TripReason | 'half-open-failure';
  /** How long it stays open, in ms. */
  readonly duration: number;
  /** When (epoch ms) it lets a probe through. */
  readonly openUntil: number;
}

/** Payload of {@link CircuitBreakerPolicy.onStateChange}. */
export interface StateChangeEvent {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** When the change happened (epoch ms). */
  readonly at: number;
}

/** The events a breaker emits. */
export interface BreakerEvents {
  break: BreakEvent;
  halfOpen: { readonly at: number };
  reset: { readonly at: number };
  isolate: { readonly at: number };
  stateChange: StateChangeEvent;
}

/** The options with every default filled in. */
export type BreakerSettings = Required<
  Pick<CircuitBreakerOptions, 'breakDuration' | 'halfOpenProbes' | 'successThreshold' | 'handle'>
> &
  CircuitBreakerOptions;

/** The defaults of {@link CircuitBreakerOptions}. */
export const BREAKER_DEFAULTS: Readonly<BreakerSettings> = Object.freeze({
  breakDuration: 30_000,
  halfOpenProbes: 1,
  successThreshold: 1,
  handle: (): boolean => true,
});

/** Rejects out-of-range options with one `ValidationError` listing them all. */
export function checkBreakerOptions(options: CircuitBreakerOptions): void {
  const probes = options.halfOpenProbes ?? BREAKER_DEFAULTS.halfOpenProbes;
  const needed = options.successThreshold ?? BREAKER_DEFAULTS.successThreshold;
  validateOptions('circuitBreaker', [
    typeof options.breakDuration === 'number' || options.breakDuration === undefined
      ? nonNegative('breakDuration', options.breakDuration)
      : relation('breakDuration', isBackoff(options.breakDuration), 'must be a number of ms or a Backoff.'),
    integerAtLeast('halfOpenProbes', options.halfOpenProbes, 1),
    integerAtLeast('successThreshold', options.successThreshold, 1),
    relation('successThreshold', !(needed > probes), `must be <= halfOpenProbes (${probes}); got ${needed}.`),
    nonNegative('slowCallDuration', options.slowCallDuration),
    callable('handle', options.handle),
    callable('handleResult', options.handleResult),
    relation(
      'strategy',
      options.strategy === undefined || typeof options.strategy.create === 'function',
      'must be a BreakerStrategy.',
    ),
  ]);
}
