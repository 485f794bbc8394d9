import { optionNumber, throwIfAborted, toStorableJson, ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/**
 * The longest idempotency key a store accepts, in UTF-8 bytes. PostgreSQL cannot index a key
 * much over 2,700 bytes; every Keel store refuses longer keys the same way, well below that.
 * Hash a longer natural key (e.g. SHA-256 in hex) before using it.
 */
export const MAX_IDEMPOTENCY_KEY_BYTES = 1024;

/** What an `IdempotencyStore` method was given, checked by {@link checkIdempotencyArguments}. */
export interface IdempotencyArguments {
  readonly key: unknown;
  /** Checked only when present (claim and renew take one). */
  readonly leaseMs?: unknown;
  readonly signal?: AbortSignal | undefined;
}

const utf8 = new TextEncoder();

/**
 * The checks every `IdempotencyStore` makes before touching anything, in this order:
 * an aborted `signal` rejects with its reason first; then a key that cannot be stored as text
 * (NUL, lone surrogate) is refused with core's `SerializationError`; then a key that is not a
 * string or is longer than {@link MAX_IDEMPOTENCY_KEY_BYTES}, and a `leaseMs` that is not a
 * finite number > 0, are refused together with one `ValidationError`. Stores of other packages
 * call it so they accept and refuse exactly what Keel's stores do.
 *
 * @param method The store method, named in the error, e.g. `claim`.
 * @throws The abort reason, `SerializationError` or `ValidationError`, as above.
 * @example
 * ```ts
 * async claim(key: string, leaseMs: number, signal?: AbortSignal) {
 *   checkIdempotencyArguments('claim', { key, leaseMs, signal });
 *   // … claim it
 * }
 * ```
 */
export function checkIdempotencyArguments(method: string, args: IdempotencyArguments): void {
  throwIfAborted(args.signal);
  const issues: ValidationIssue[] = [];
  const keyProblem = checkKey(args.key);
  if (keyProblem !== undefined) issues.push({ path: ['key'], message: keyProblem });
  if ('leaseMs' in args) {
    const leaseProblem = optionNumber(args.leaseMs, { min: 0, exclusiveMin: true, required: true });
    if (leaseProblem !== undefined) issues.push({ path: ['leaseMs'], message: leaseProblem });
  }
  if (issues.length > 0)
    throw new ValidationError(issues, { subject: `arguments of IdempotencyStore.${method}` });
}

function checkKey(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string (got ${typeof key}).`;
  toStorableJson(key, 'the idempotency key');
  // Three bytes per UTF-16 unit at most: only long keys need measuring.
  if (key.length * 3 <= MAX_IDEMPOTENCY_KEY_BYTES) return undefined;
  const bytes = utf8.encode(key).length;
  return bytes <= MAX_IDEMPOTENCY_KEY_BYTES
    ? undefined
    : `must be at most ${MAX_IDEMPOTENCY_KEY_BYTES} UTF-8 bytes (got ${bytes}); hash a longer key, e.g. with SHA-256.`;
}
