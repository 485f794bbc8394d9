import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** The stable code of {@link LeaseLostError}. */
export const LEASE_LOST_CODE = 'POSTGRES_LEASE_LOST';

/**
 * A worker wrote (or renewed) under a lease another process has taken over since: the write
 * was refused, so a stale owner can never move a checkpoint. The worker stops what it was
 * doing under that lease; nothing needs to be retried by hand.
 *
 * @example
 * ```ts
 * if (isLeaseLostError(error)) console.log(`${error.leaseName} now belongs to another process`);
 * ```
 */
export class LeaseLostError extends KeelError {
  /** The lease's name, e.g. `projection:balances`. */
  readonly leaseName: string;
  /** The fencing token the refused write carried. */
  readonly token: number;

  constructor(leaseName: string, token: number, current: string, options: KeelErrorOptions = {}) {
    super(
      LEASE_LOST_CODE,
      `Lease "${leaseName}" with fencing token ${token} is no longer held (${current}); the write was refused. Another process owns it now: stop working under this lease.`,
      { ...options, details: { leaseName, token, current, ...options.details } },
    );
    this.leaseName = leaseName;
    this.token = token;
  }
}

/** Whether `value` is a {@link LeaseLostError} (works across two loaded copies of the package). */
export function isLeaseLostError(value: unknown): value is LeaseLostError {
  return isKeelError(value, LEASE_LOST_CODE);
}
