/**
 * Doublings past which the hold cannot grow: every duration option is at most 2^40 ms, so
 * `recoverBackoffMs * 2^40` already reaches any `recoverBackoffMaxMs`, and the product stays a
 * finite number (an uncapped `0 * 2 ** 1024` would be `0 * Infinity`, i.e. NaN).
 */
const MAX_DOUBLINGS = 40;

/**
 * How long a saga that failed to resume `failures` times in a row is held back:
 * `baseMs * 2^(failures - 1)`, capped at `maxMs`. Always a finite number in `[baseMs, maxMs]`
 * (given `0 <= baseMs <= maxMs <= 2^40`), whatever the count.
 */
export function recoverBackoff(failures: number, baseMs: number, maxMs: number): number {
  const doublings = Number.isNaN(failures) ? 0 : Math.min(Math.max(0, failures - 1), MAX_DOUBLINGS);
  return Math.min(maxMs, baseMs * 2 ** doublings);
}
