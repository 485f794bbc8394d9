import type { Clock, Logger } from '@keel/core';
import { newId, noopLogger, systemClock } from '@keel/core';
import { SagaConfigError } from '../errors/errors.js';

/** Options of a {@link SagaOrchestrator}. */
export interface SagaOrchestratorOptions {
  /** Source of time and timers. @default systemClock */
  clock?: Clock;
  /** Where step failures, compensation failures and lease losses are logged. @default noopLogger */
  logger?: Logger;
  /** This orchestrator's identity in leases; unique per process. @default a new UUID v7 */
  owner?: string;
  /**
   * How long a lease lasts without renewal. A crashed orchestrator's sagas are taken over by
   * `recover()` elsewhere once it expires.
   * @default 30_000
   */
  leaseMs?: number;
  /** How often a held lease is renewed; must be below `leaseMs`. @default leaseMs / 3 */
  renewEveryMs?: number;
  /** How often `start` re-reads a saga that another orchestrator is running. @default 1_000 */
  pollIntervalMs?: number;
  /** How many sagas `recover()` leases per batch. @default 100 */
  recoverBatchSize?: number;
}

/** The defaults of {@link SagaOrchestratorOptions}. */
export const SAGA_ORCHESTRATOR_DEFAULTS = Object.freeze({
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
  recoverBatchSize: 100,
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
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new SagaConfigError(
      `Option ${name} must be a finite ${integer ? 'integer' : 'number'} > 0; got ${value}.`,
    );
  }
  return value;
}

/**
 * Merges `options` with the defaults and checks every range.
 * @throws {SagaConfigError} when an option is out of range.
 */
export function resolveOrchestratorOptions(options: SagaOrchestratorOptions): ResolvedOrchestratorOptions {
  const leaseMs = positive('leaseMs', options.leaseMs ?? SAGA_ORCHESTRATOR_DEFAULTS.leaseMs);
  const renewEveryMs = positive('renewEveryMs', options.renewEveryMs ?? Math.max(1, Math.floor(leaseMs / 3)));
  if (renewEveryMs >= leaseMs) {
    throw new SagaConfigError(
      `Option renewEveryMs (${renewEveryMs}) must be below leaseMs (${leaseMs}), or leases expire between renewals.`,
    );
  }
  const owner = options.owner ?? newId();
  if (owner.length === 0) throw new SagaConfigError('Option owner must be a non-empty string.');
  return Object.freeze({
    clock: options.clock ?? systemClock,
    logger: options.logger ?? noopLogger,
    owner,
    leaseMs,
    renewEveryMs,
    pollIntervalMs: positive(
      'pollIntervalMs',
      options.pollIntervalMs ?? SAGA_ORCHESTRATOR_DEFAULTS.pollIntervalMs,
    ),
    recoverBatchSize: positive(
      'recoverBatchSize',
      options.recoverBatchSize ?? SAGA_ORCHESTRATOR_DEFAULTS.recoverBatchSize,
      true,
    ),
  });
}
