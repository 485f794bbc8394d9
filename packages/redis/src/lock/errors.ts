import { isKeelError, KeelError } from '@keel/core';

/** Stable codes of the lock errors. */
export const LOCK_ERROR_CODES = Object.freeze({
  notAcquired: 'LOCK_NOT_ACQUIRED',
  lost: 'LOCK_LOST',
} as const);

/** {@link RedisLock.acquire} gave up: another owner held the lock for the whole `wait`. */
export class LockNotAcquiredError extends KeelError {
  /** The lock's key. */
  readonly key: string;

  constructor(key: string, waited: number, heldForMs: number) {
    super(
      LOCK_ERROR_CODES.notAcquired,
      `Lock "${key}" is held by another owner (for ${heldForMs} ms more); gave up after waiting ${waited} ms. Retry later or pass a longer \`wait\`.`,
      { details: { key, waited, heldForMs } },
    );
    this.key = key;
  }
}

/** Why a {@link LockLostError} was raised. */
export type LockLostReason =
  /** Redis holds another owner (or nothing) under the key: the TTL ran out, or the key was removed. */
  | 'not-owner'
  /** No extension succeeded before the lease ran out by this process's clock (e.g. Redis unreachable). */
  | 'lease-expired';

/** The lock expired (and may belong to someone else) before its owner extended it. */
export class LockLostError extends KeelError {
  /** The lock's key. */
  readonly key: string;
  /** The fencing token of the lost ownership. */
  readonly token: number;
  /** How the loss was noticed. */
  readonly reason: LockLostReason;

  constructor(key: string, token: number, options: { reason?: LockLostReason; cause?: unknown } = {}) {
    const reason = options.reason ?? 'not-owner';
    const what =
      reason === 'not-owner'
        ? 'is no longer held by this owner: its TTL ran out or the key was removed'
        : 'may no longer be held: no extension succeeded before its TTL ran out';
    super(
      LOCK_ERROR_CODES.lost,
      `Lock "${key}" (fencing token ${token}) ${what}. Stop the protected work and acquire it again; use a longer \`ttl\`, extend sooner or turn on the watchdog.`,
      { details: { key, token, reason }, cause: options.cause },
    );
    this.key = key;
    this.token = token;
    this.reason = reason;
  }
}

/** Whether `value` is a {@link LockNotAcquiredError} (by code, across package copies). */
export function isLockNotAcquiredError(value: unknown): value is LockNotAcquiredError {
  return isKeelError(value, LOCK_ERROR_CODES.notAcquired);
}

/** Whether `value` is a {@link LockLostError} (by code, across package copies). */
export function isLockLostError(value: unknown): value is LockLostError {
  return isKeelError(value, LOCK_ERROR_CODES.lost);
}
