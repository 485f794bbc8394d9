/** What {@link IdempotencyStore.claim} found for a key. */
export type IdempotencyClaim =
  /**
   * The caller now holds the key for the lease and must `complete` or `release` it, passing
   * `token`; while it works longer than the lease it must `renew` it.
   */
  | { readonly status: 'claimed'; readonly token: string }
  /** Someone else holds the key and has not finished. */
  | { readonly status: 'pending' }
  /** The message was handled before; this is its result (a copy, as stored). */
  | { readonly status: 'completed'; readonly result: unknown };

/**
 * Remembers which messages were handled and their results, so a repeated message returns the
 * first result instead of running again. `@keel/postgres` provides a durable one; every
 * implementation must pass `idempotencyStoreContract` from `@keel/cqrs/testing`.
 *
 * The rules every store keeps:
 *
 * - **One holder.** `claim` is atomic: of concurrent claims of one key exactly one gets
 *   `claimed`. A claim whose lease ran out may be taken over by the next `claim`.
 * - **Owner tokens.** Each granted claim carries a new `token`. `renew`, `complete` and
 *   `release` act only for the token that holds the key, so a holder whose lease expired and
 *   was taken over can neither extend, overwrite nor delete the new holder's claim; they
 *   return `false` instead.
 * - **Values as PostgreSQL keeps them.** Results are stored as JSON by core's
 *   `toStorableJson` and handed back as copies: what PostgreSQL cannot hold (NUL characters,
 *   lone surrogates, BigInt, NaN, Map, Set, cycles …) is refused with core's
 *   `SerializationError` before anything changes, and a Date comes back as its ISO string.
 *   Keys are text: a key PostgreSQL cannot hold is refused the same way by every method.
 * - **Arguments checked first, in one order** (`checkIdempotencyArguments` from `@keel/cqrs`
 *   does it): an aborted `signal` rejects with its reason; then a key PostgreSQL cannot hold is
 *   refused with `SerializationError`; then a key that is not a string or is longer than
 *   `MAX_IDEMPOTENCY_KEY_BYTES` (1024 UTF-8 bytes; hash longer keys) and a `leaseMs` that is
 *   not a finite number above zero are refused with core's `ValidationError`; then `complete`
 *   checks its result. Nothing changes when any of these throws.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for `leaseMs` if nobody holds it (or the holder's lease expired), otherwise
   * reports what is there.
   *
   * @throws The abort reason when `signal` is already aborted (checked first); nothing is claimed then.
   * @throws {SerializationError} when `key` cannot be stored as text (NUL, lone surrogate).
   * @throws {ValidationError} when `key` is over `MAX_IDEMPOTENCY_KEY_BYTES` or `leaseMs` is not
   *   a finite number above zero.
   */
  claim(key: string, leaseMs: number, signal?: AbortSignal): Promise<IdempotencyClaim>;
  /**
   * Extends the claim `token` holds on `key` to `leaseMs` from now (a heartbeat for handlers
   * that run longer than the lease). A claim whose lease ran out but that nobody took over is
   * still this token's and is renewed.
   *
   * @returns `true` when renewed; `false` when `token` no longer holds `key` (taken over,
   *   completed or released).
   * @throws {ValidationError} when `leaseMs` is not a finite number above zero (or the key is
   *   refused as by `claim`); the lease is left as it was.
   */
  renew(key: string, token: string, leaseMs: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Records `result` for `key`; later claims get `completed` with (a copy of) it. It is
   * recorded when `token` holds the key, also after its lease ran out if nobody took it over,
   * or when nothing is stored for the key; never over another token's claim or a live result.
   *
   * @returns `true` when recorded, `false` when another holder's claim or a result was there.
   * @throws {SerializationError} when `result` cannot be stored, before anything changes.
   */
  complete(key: string, token: string, result: unknown, signal?: AbortSignal): Promise<boolean>;
  /**
   * Gives up the claim `token` holds on `key` after a failure, so a later attempt runs again.
   * A result, or another token's claim, is left alone.
   *
   * @returns `true` when the claim was released, `false` when `token` did not hold it.
   */
  release(key: string, token: string, signal?: AbortSignal): Promise<boolean>;
}
