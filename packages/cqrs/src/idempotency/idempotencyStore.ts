/** What {@link IdempotencyStore.claim} found for a key. */
export type IdempotencyClaim =
  /** The caller now holds the key for the lease and must `complete` or `release` it. */
  | { readonly status: 'claimed' }
  /** Someone else holds the key and has not finished. */
  | { readonly status: 'pending' }
  /** The message was handled before; this is its result. */
  | { readonly status: 'completed'; readonly result: unknown };

/**
 * Remembers which messages were handled and their results, so a repeated message returns the
 * first result instead of running again. Implementations must make `claim` atomic: of two
 * concurrent claims of one key, exactly one gets `claimed`. `@keel/postgres` provides a durable one.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for `leaseMs` if nobody holds it (or the holder's lease expired), otherwise
   * reports what is there.
   */
  claim(key: string, leaseMs: number, signal?: AbortSignal): Promise<IdempotencyClaim>;
  /** Records the result of the claimed `key`; later claims get `completed` with it. */
  complete(key: string, result: unknown, signal?: AbortSignal): Promise<void>;
  /** Gives up the claim on `key` after a failure, so a later attempt runs it again. */
  release(key: string, signal?: AbortSignal): Promise<void>;
}
