import type { Clock, Logger } from '@keel/core';
import {
  assertOptions,
  newId,
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  systemClock,
  withDefaults,
} from '@keel/core';
import { SagaDefinition } from '../definition/defineSaga.js';
import { MAX_MS, optionStorableText } from '../internal/storableText.js';

/**
 * Options of a {@link SagaOrchestrator}. An option left out or set to `undefined` takes its
 * default; a value out of range is refused at construction with a `ValidationError`.
 */
export interface SagaOrchestratorOptions {
  /** Source of time and timers. @default systemClock */
  clock?: Clock | undefined;
  /** Where step failures, compensation failures and lease losses are logged. @default noopLogger */
  logger?: Logger | undefined;
  /** This orchestrator's identity in leases; unique per process. @default a new UUID v7 */
  owner?: string | undefined;
  /**
   * How long a lease lasts without renewal (ms, > 0). A crashed orchestrator's sagas are taken
   * over by `recover()` elsewhere once it expires.
   * @default 30_000
   */
  leaseMs?: number | undefined;
  /**
   * How often a held lease is renewed (ms, > 0, below `leaseMs`). When renewals fail until the
   * lease would run out before the next one, the running step's signal is aborted.
   * @default leaseMs / 3
   */
  renewEveryMs?: number | undefined;
  /** How often `start` re-reads a saga that another orchestrator is running (ms, > 0). @default 1_000 */
  pollIntervalMs?: number | undefined;
  /**
   * How many sagas one `recover()` call leases and runs at a time (an integer >= 1, or
   * `Infinity` for all at once); it leases more as they finish.
   * @default 100
   */
  recoverBatchSize?: number | undefined;
  /**
   * After a saga resumed by `recover()` fails by itself (a store error, not a step failure), its
   * lease is kept this long (ms, >= 0) before it may be resumed again, doubling on each
   * consecutive failure up to `recoverBackoffMaxMs`, so failing sagas do not hog recovery.
   * @default 1_000
   */
  recoverBackoffMs?: number | undefined;
  /** The longest such hold (ms, >= `recoverBackoffMs`). @default 60_000 */
  recoverBackoffMaxMs?: number | undefined;
}

/** The defaults of {@link SagaOrchestratorOptions} (besides `clock`, `logger`, `owner` and `renewEveryMs`). */
export const SAGA_ORCHESTRATOR_DEFAULTS = Object.freeze({
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
  recoverBatchSize: 100,
  recoverBackoffMs: 1_000,
  recoverBackoffMaxMs: 60_000,
});

/** Options with every default filled in. */
export interface ResolvedOrchestratorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly pollIntervalMs: number;
  readonly recoverBatchSize: number;
  readonly recoverBackoffMs: number;
  readonly recoverBackoffMaxMs: number;
}

const positiveMs = { min: 0, exclusiveMin: true, max: MAX_MS } as const;

/**
 * Merges `options` with the defaults (`undefined` keeps a default) and checks every value.
 * @throws {ValidationError} listing every option that is out of range or of the wrong kind.
 */
export function resolveOrchestratorOptions(
  options: SagaOrchestratorOptions | undefined,
): ResolvedOrchestratorOptions {
  const merged = withDefaults(
    { ...SAGA_ORCHESTRATOR_DEFAULTS, clock: systemClock, logger: noopLogger, owner: newId() },
    options,
  );
  const leaseMs = merged.leaseMs;
  const leaseProblem = optionNumber(leaseMs, positiveMs);
  const renewEveryMs = options?.renewEveryMs ?? Math.max(1, Math.floor(leaseMs / 3));
  assertOptions('SagaOrchestrator', {
    clock: optionClock(merged.clock, ['now', 'setTimeout', 'sleep']),
    logger: optionLogger(merged.logger, { uses: ['info', 'warn', 'error'] }),
    owner: optionStorableText(merged.owner),
    leaseMs: leaseProblem,
    // Derived from a bad leaseMs it says nothing new; checked against a good one.
    renewEveryMs:
      (options?.renewEveryMs === undefined && leaseProblem !== undefined
        ? undefined
        : optionNumber(renewEveryMs, positiveMs)) ??
      optionRule(
        leaseProblem !== undefined || renewEveryMs < leaseMs,
        `must be below leaseMs (got ${renewEveryMs} >= ${leaseMs}), or leases expire between renewals.`,
      ),
    pollIntervalMs: optionNumber(merged.pollIntervalMs, positiveMs),
    recoverBatchSize: optionInteger(merged.recoverBatchSize, { min: 1, infinity: true }),
    recoverBackoffMs: optionNumber(merged.recoverBackoffMs, { min: 0, max: MAX_MS }),
    recoverBackoffMaxMs:
      optionNumber(merged.recoverBackoffMaxMs, { min: 0, max: MAX_MS }) ??
      optionRule(
        !(merged.recoverBackoffMaxMs < merged.recoverBackoffMs),
        `must be >= recoverBackoffMs (got ${merged.recoverBackoffMaxMs} < ${merged.recoverBackoffMs}).`,
      ),
  });
  return Object.freeze({ ...merged, renewEveryMs });
}

const STORE_METHODS = [
  'create',
  'get',
  'save',
  'tryAcquireLease',
  'renewLease',
  'releaseLease',
  'claimUnfinished',
  'list',
];

/**
 * Checks the orchestrator's store and definitions.
 * @throws {ValidationError} when the store is not a `SagaStore` or a saga not a definition.
 */
export function assertOrchestratorPorts(store: unknown, sagas: unknown): void {
  assertOptions('SagaOrchestrator', {
    store: optionObject(store, 'a SagaStore', STORE_METHODS, true),
    sagas: optionRule(
      Array.isArray(sagas) && sagas.every((saga) => saga instanceof SagaDefinition),
      'must be an array of saga definitions made with defineSaga().',
    ),
  });
}

/**
 * Checks the options of `start`, `recover` or `resume`: a storable `sagaId`, an `AbortSignal`.
 * @throws {ValidationError} listing what is wrong.
 */
export function assertCallOptions(
  method: string,
  options: { readonly sagaId?: unknown; readonly signal?: unknown; readonly drain?: unknown } | undefined,
): void {
  assertOptions(`SagaOrchestrator.${method}`, {
    sagaId: optionStorableText(options?.sagaId),
    signal: optionObject(options?.signal, 'an AbortSignal', ['addEventListener', 'removeEventListener']),
    drain: optionObject(options?.drain, 'an AbortSignal', ['addEventListener', 'removeEventListener']),
  });
}
