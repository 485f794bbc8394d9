import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the errors `@keel/resilience` throws (besides core's `TimeoutError`). */
export const RESILIENCE_ERROR_CODES = Object.freeze({
  brokenCircuit: 'CIRCUIT_BROKEN',
  bulkheadRejected: 'BULKHEAD_REJECTED',
  rateLimited: 'RATE_LIMITED',
  chaosFault: 'CHAOS_FAULT',
} as const);

/** Why a circuit breaker refused a call. */
export type BrokenCircuitReason = 'open' | 'half-open-busy' | 'isolated';

/** What a {@link BrokenCircuitError} knows. */
export interface BrokenCircuitInfo {
  /** Why the call was refused. */
  readonly reason: BrokenCircuitReason;
  /** When (epoch ms) the breaker lets a probe through, or `undefined` when nobody knows yet. */
  readonly openUntil: number | undefined;
  /** Milliseconds from the refusal until `openUntil`, or `undefined` when unknown. */
  readonly retryAfter: number | undefined;
}

function brokenMessage(info: BrokenCircuitInfo): string {
  if (info.reason === 'isolated')
    return 'The circuit is isolated by hand and refuses every call until reset().';
  if (info.reason === 'half-open-busy') {
    return 'The circuit is half-open and every probe slot is taken; retry once the probes settle.';
  }
  return `The circuit is open; it lets a probe through in ${info.retryAfter} ms${atTime(info.openUntil)}.`;
}

/** ` (at 2026-…Z)`, or nothing for a time no date can show (a break of ~275,000 years or more). */
function atTime(ms: number | undefined): string {
  const date = new Date(ms ?? Number.NaN);
  return Number.isNaN(date.getTime()) ? '' : ` (at ${date.toISOString()})`;
}

/**
 * A circuit breaker refused the call without running it. `retryAfter` says how long to wait;
 * `cause` is the failure (the error, or the result `handleResult` rejected) of the call that
 * opened the circuit, and is absent when it was isolated by hand or restored from a snapshot.
 *
 * @example
 * ```ts
 * if (isBrokenCircuitError(error) && error.retryAfter !== undefined) res.setHeader('Retry-After', Math.ceil(error.retryAfter / 1000));
 * ```
 */
export class BrokenCircuitError extends KeelError implements BrokenCircuitInfo {
  readonly reason: BrokenCircuitReason;
  readonly openUntil: number | undefined;
  readonly retryAfter: number | undefined;

  constructor(info: BrokenCircuitInfo, options: KeelErrorOptions = {}) {
    super(RESILIENCE_ERROR_CODES.brokenCircuit, brokenMessage(info), {
      ...options,
      details: { ...options.details, ...info },
    });
    this.reason = info.reason;
    this.openUntil = info.openUntil;
    this.retryAfter = info.retryAfter;
  }
}

/** Why a bulkhead refused a call. */
export type BulkheadRejectionReason = 'full' | 'queue-timeout';

/** A bulkhead refused the call: every slot and queue place was taken, or the queue wait ran out. */
export class BulkheadRejectedError extends KeelError {
  readonly reason: BulkheadRejectionReason;
  readonly maxConcurrent: number;
  readonly maxQueue: number;

  constructor(
    reason: BulkheadRejectionReason,
    limits: { maxConcurrent: number; maxQueue: number; queueTimeout?: number },
  ) {
    const message =
      reason === 'full'
        ? `The bulkhead is full (${limits.maxConcurrent} running, ${limits.maxQueue} queued); shed load or raise the limits.`
        : `The call waited ${limits.queueTimeout} ms in the bulkhead queue without a free slot; shed load or raise the limits.`;
    super(RESILIENCE_ERROR_CODES.bulkheadRejected, message, { details: { reason, ...limits } });
    this.reason = reason;
    this.maxConcurrent = limits.maxConcurrent;
    this.maxQueue = limits.maxQueue;
  }
}

/** A rate limiter refused the call; try again after `retryAfter` ms. */
export class RateLimitedError extends KeelError {
  /** The partition key that is over its limit. */
  readonly key: string;
  /** Milliseconds until enough permits are available. */
  readonly retryAfter: number;

  constructor(key: string, retryAfter: number) {
    super(
      RESILIENCE_ERROR_CODES.rateLimited,
      `Rate limit reached for "${key}"; try again in ${Math.ceil(retryAfter)} ms.`,
      { details: { key, retryAfter } },
    );
    this.key = key;
    this.retryAfter = retryAfter;
  }
}

/** The fault a {@link chaos} policy injects when no custom fault is given. */
export class ChaosFaultError extends KeelError {
  constructor() {
    super(
      RESILIENCE_ERROR_CODES.chaosFault,
      'Fault injected by a chaos policy (this is a test, not a real failure).',
    );
  }
}

/** Whether `value` is a {@link BrokenCircuitError} (from any loaded copy of Keel). */
export function isBrokenCircuitError(value: unknown): value is BrokenCircuitError {
  return isKeelError(value, RESILIENCE_ERROR_CODES.brokenCircuit);
}

/** Whether `value` is a {@link BulkheadRejectedError} (from any loaded copy of Keel). */
export function isBulkheadRejectedError(value: unknown): value is BulkheadRejectedError {
  return isKeelError(value, RESILIENCE_ERROR_CODES.bulkheadRejected);
}

/** Whether `value` is a {@link RateLimitedError} (from any loaded copy of Keel). */
export function isRateLimitedError(value: unknown): value is RateLimitedError {
  return isKeelError(value, RESILIENCE_ERROR_CODES.rateLimited);
}

/** Whether `value` is a {@link ChaosFaultError} (from any loaded copy of Keel). */
export function isChaosFaultError(value: unknown): value is ChaosFaultError {
  return isKeelError(value, RESILIENCE_ERROR_CODES.chaosFault);
}
