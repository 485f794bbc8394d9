import {
  assertOptions,
  noopLogger,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import { isBackoff } from '../backoff/backoff.js';
import type { Backoff } from '../backoff/backoff.js';
import { optionNumberOr } from '../internal/optionKinds.js';
import { consecutiveFailures } from './breakerStrategy.js';
import type { BreakerStrategy, TripReason } from './breakerStrategy.js';
import type { CircuitBreakerSnapshot, CircuitState } from './snapshot.js';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions {
  /** When a closed circuit opens. @default consecutiveFailures(5) */
  strategy?: BreakerStrategy | undefined;
  /** How long the circuit stays open: fixed ms, or a backoff over consecutive openings. @default 30_000 */
  breakDuration?: number | Backoff | undefined;
  /** Calls admitted as probes while half-open. @default 1 */
  halfOpenProbes?: number | undefined;
  /** Successful probes that close the circuit (<= `halfOpenProbes`). @default 1 */
  successThreshold?: number | undefined;
  /** A call taking at least this many ms counts as slow (and a slow probe as failed); `Infinity` is off. @default off */
  slowCallDuration?: number | undefined;
  /**
   * Which errors count as failures; others pass through uncounted. An aborted caller is never
   * counted. A `handle` (or `handleResult`) that throws is a bug surfaced: the call rejects with
   * its error and is not counted, and a half-open probe frees its slot. @default every error
   */
  handle?: ((error: unknown) => boolean) | undefined;
  /** Which results count as failures (e.g. HTTP 5xx). @default none */
  handleResult?: ((result: unknown) => boolean) | undefined;
  /** A saved state to start from (see `exportState()`). @default closed */
  initialState?: CircuitBreakerSnapshot | undefined;
  /** Where time comes from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the breaker in telemetry (`keel.policy.name`) and outcome events. @default 'circuitBreaker' */
  name?: string | undefined;
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

/** The defaults of {@link CircuitBreakerOptions}. */
export const BREAKER_DEFAULTS = Object.freeze({
  strategy: consecutiveFailures(5),
  breakDuration: 30_000 as number | Backoff,
  halfOpenProbes: 1,
  successThreshold: 1,
  handle: ((): boolean => true) as (error: unknown) => boolean,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'circuitBreaker',
});

/** The options with every default filled in. */
export type BreakerSettings = ReturnType<typeof breakerSettings>;

/**
 * Merges `options` over {@link BREAKER_DEFAULTS} (`undefined` keeps a default) and rejects bad
 * ones with one `ValidationError` listing them all.
 */
export function breakerSettings(options: CircuitBreakerOptions | undefined) {
  const settings = withDefaults(BREAKER_DEFAULTS, options);
  const { halfOpenProbes: probes, successThreshold: needed } = settings;
  assertOptions('circuitBreaker', {
    strategy: optionObject(settings.strategy, 'a BreakerStrategy (e.g. countWindow({ size: 20 }))', [
      'create',
    ]),
    breakDuration: optionNumberOr(
      settings.breakDuration,
      { min: 0 },
      { kind: 'a Backoff', accepts: isBackoff },
    ),
    halfOpenProbes: optionInteger(probes, { min: 1 }),
    successThreshold:
      optionInteger(needed, { min: 1 }) ??
      optionRule(!(needed > probes), `must be <= halfOpenProbes (${probes}) (got ${needed}).`),
    slowCallDuration: optionNumber(settings.slowCallDuration, { min: 0, infinity: true }),
    handle: optionFunction(settings.handle),
    handleResult: optionFunction(settings.handleResult),
    clock: optionClock(settings.clock, ['now']),
    logger: optionLogger(settings.logger, { uses: ['error'] }),
    name: optionString(settings.name),
  });
  return Object.freeze(settings);
}
