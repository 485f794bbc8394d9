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

/** The lock expired (and may belong to someone else) before its owner extended it. */
export class LockLostError extends KeelError {
  /** The lock's key. */
  readonly key: string;
  /** The fencing token of the lost ownership. */
  readonly token: number;

  constructor(key: string, token: number) {
    super(
      LOCK_ERROR_CODES.lost,
      `Lock "${key}" (fencing token ${token}) is no longer held by this owner: its TTL ran out. Stop the protected work and acquire it again; use a longer \`ttl\` or extend sooner.`,
      { details: { key, token } },
    );
    this.key = key;
    this.token = token;
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
