import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the errors `@keel/saga` throws. */
export const SAGA_ERROR_CODES = Object.freeze({
  config: 'SAGA_CONFIG_INVALID',
  unknownSaga: 'SAGA_UNKNOWN',
  idConflict: 'SAGA_ID_CONFLICT',
  deadline: 'SAGA_DEADLINE_EXCEEDED',
  leaseLost: 'SAGA_LEASE_LOST',
} as const);

/**
 * A saga definition is malformed: an empty or duplicate saga or step name, `input()` declared
 * after the steps. Thrown at definition, never while running. (Option values out of range are
 * refused with core's `ValidationError`, as everywhere in Keel.)
 */
export class SagaConfigError extends KeelError {
  constructor(message: string, options: KeelErrorOptions = {}) {
    super(SAGA_ERROR_CODES.config, message, options);
  }
}

/** A saga name is not registered with the orchestrator that was asked to run it. */
export class UnknownSagaError extends KeelError {
  /** The name that was asked for. */
  readonly sagaName: string;

  constructor(sagaName: string, known: readonly string[], options: KeelErrorOptions = {}) {
    const list = known.length === 0 ? 'none' : known.map((name) => `"${name}"`).join(', ');
    super(
      SAGA_ERROR_CODES.unknownSaga,
      `No saga named "${sagaName}" is registered (registered: ${list}); pass its definition to the orchestrator.`,
      { ...options, details: { ...options.details, sagaName, known } },
    );
    this.sagaName = sagaName;
  }
}

/** A saga id is already used by an instance of a different saga. */
export class SagaIdConflictError extends KeelError {
  readonly sagaId: string;

  constructor(sagaId: string, existingName: string, requestedName: string, options: KeelErrorOptions = {}) {
    super(
      SAGA_ERROR_CODES.idConflict,
      `Saga id "${sagaId}" already belongs to a "${existingName}" saga, so a "${requestedName}" saga cannot start with it; use another id.`,
      { ...options, details: { ...options.details, sagaId, existingName, requestedName } },
    );
    this.sagaId = sagaId;
  }
}

/** A saga ran past its deadline; its completed steps are compensated. */
export class SagaDeadlineExceededError extends KeelError {
  readonly sagaId: string;
  /** The deadline, in milliseconds since the epoch. */
  readonly deadlineAt: number;

  constructor(sagaId: string, deadlineAt: number, now: number, options: KeelErrorOptions = {}) {
    super(
      SAGA_ERROR_CODES.deadline,
      `Saga "${sagaId}" passed its deadline (${new Date(deadlineAt).toISOString()}) by ${now - deadlineAt} ms; compensating its completed steps.`,
      { ...options, details: { ...options.details, sagaId, deadlineAt } },
    );
    this.sagaId = sagaId;
    this.deadlineAt = deadlineAt;
  }
}

/**
 * This orchestrator lost the lease on a saga, so it stopped working on it: the lease was taken
 * over (it expired and another orchestrator took it), or it could not be renewed before it
 * expired (the store was unreachable), so another orchestrator may take it. The new owner
 * carries on; `reason` says which.
 */
export class SagaLeaseLostError extends KeelError {
  readonly sagaId: string;
  /** `takenOver`: another owner holds the lease; `notRenewed`: renewals failed until it ran out. */
  readonly reason: 'takenOver' | 'notRenewed';

  constructor(
    sagaId: string,
    owner: string,
    options: KeelErrorOptions & { reason?: 'takenOver' | 'notRenewed' } = {},
  ) {
    const { reason = 'takenOver', ...rest } = options;
    super(
      SAGA_ERROR_CODES.leaseLost,
      reason === 'takenOver'
        ? `Orchestrator "${owner}" lost the lease on saga "${sagaId}" to another orchestrator and stopped; raise leaseMs if steps outlive it.`
        : `Orchestrator "${owner}" could not renew its lease on saga "${sagaId}" before it ran out (the store did not answer), so it stopped; another orchestrator's recover() carries on.`,
      { ...rest, details: { ...rest.details, sagaId, owner, reason } },
    );
    this.sagaId = sagaId;
    this.reason = reason;
  }
}

/** Whether `value` is a {@link SagaConfigError} (from any loaded copy of Keel). */
export function isSagaConfigError(value: unknown): value is SagaConfigError {
  return isKeelError(value, SAGA_ERROR_CODES.config);
}

/** Whether `value` is an {@link UnknownSagaError} (from any loaded copy of Keel). */
export function isUnknownSagaError(value: unknown): value is UnknownSagaError {
  return isKeelError(value, SAGA_ERROR_CODES.unknownSaga);
}

/** Whether `value` is a {@link SagaIdConflictError} (from any loaded copy of Keel). */
export function isSagaIdConflictError(value: unknown): value is SagaIdConflictError {
  return isKeelError(value, SAGA_ERROR_CODES.idConflict);
}

/** Whether `value` is a {@link SagaDeadlineExceededError} (from any loaded copy of Keel). */
export function isSagaDeadlineExceededError(value: unknown): value is SagaDeadlineExceededError {
  return isKeelError(value, SAGA_ERROR_CODES.deadline);
}

/** Whether `value` is a {@link SagaLeaseLostError} (from any loaded copy of Keel). */
export function isSagaLeaseLostError(value: unknown): value is SagaLeaseLostError {
  return isKeelError(value, SAGA_ERROR_CODES.leaseLost);
}
