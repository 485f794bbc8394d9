import { ValidationError } from '@keel/core';

/**
 * Refuses lease times that are not finite numbers, as every {@link SagaStore} must before it
 * changes anything: a lease until `NaN` never expires (every comparison with it is false), so
 * its saga could never be claimed again. For store implementations: call it first in
 * `create` (for a record's lease), `tryAcquireLease`, `renewLease` and `claimUnfinished`.
 *
 * @param subject What the times belong to, for the error (e.g. `lease of saga "order-1"`).
 * @param times The times by name (`until`, `now`).
 * @throws {ValidationError} listing each time that is not a finite number.
 * @example
 * ```ts
 * assertLeaseTimes(`lease of saga "${sagaId}"`, { until, now });
 * ```
 */
export function assertLeaseTimes(subject: string, times: Readonly<Record<string, number>>): void {
  for (const name in times) {
    if (Number.isFinite(times[name])) continue;
    const issues = Object.entries(times)
      .filter(([, time]) => !Number.isFinite(time))
      .map(([field, time]) => ({
        path: [field],
        message: `must be a finite number of milliseconds since the epoch (got ${String(time)})`,
      }));
    throw new ValidationError(issues, { subject });
  }
}
