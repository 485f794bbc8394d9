import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { checkCount, checkPositive } from '../internal/checks.js';
import type { IdempotencyClaim, IdempotencyStore } from './idempotencyStore.js';

/** Options of {@link InMemoryIdempotencyStore}. */
export interface InMemoryIdempotencyStoreOptions {
  /** The clock for leases and expiry. @default systemClock */
  clock?: Clock;
  /** How long a completed result is remembered, in ms (> 0 or Infinity). @default 86_400_000 (24 h) */
  ttlMs?: number;
  /** The most keys kept; the oldest are forgotten first. @default 10_000 */
  maxEntries?: number;
}

/** The defaults of {@link InMemoryIdempotencyStoreOptions}. */
export const IN_MEMORY_IDEMPOTENCY_DEFAULTS = Object.freeze({ ttlMs: 86_400_000, maxEntries: 10_000 });

type Entry =
  { status: 'pending'; expiresAt: number } | { status: 'completed'; result: unknown; expiresAt: number };

/**
 * An {@link IdempotencyStore} in one process's memory, for tests, prototypes and single-process
 * services. Results are kept for `ttlMs`, at most `maxEntries` keys.
 *
 * @example
 * ```ts
 * const store = new InMemoryIdempotencyStore({ ttlMs: 60_000 });
 * const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store })] });
 * ```
 */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  /** @throws {InvalidOptionError} when `ttlMs` or `maxEntries` is out of range. */
  constructor(options: InMemoryIdempotencyStoreOptions = {}) {
    const settings = { ...IN_MEMORY_IDEMPOTENCY_DEFAULTS, ...options };
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = checkPositive('ttlMs', settings.ttlMs, true);
    this.#maxEntries = checkCount('maxEntries', settings.maxEntries);
  }

  /** How many keys are remembered (pending or completed), expired ones included until touched. */
  get size(): number {
    return this.#entries.size;
  }

  /** Claims `key` for `leaseMs` unless a live claim or result exists; see {@link IdempotencyStore.claim}. */
  async claim(key: string, leaseMs: number): Promise<IdempotencyClaim> {
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > now) {
      return entry.status === 'completed'
        ? { status: 'completed', result: entry.result }
        : { status: 'pending' };
    }
    this.#set(key, { status: 'pending', expiresAt: now + leaseMs });
    return { status: 'claimed' };
  }

  /** Remembers `result` for `ttlMs`. */
  async complete(key: string, result: unknown): Promise<void> {
    this.#set(key, { status: 'completed', result, expiresAt: this.#clock.now() + this.#ttlMs });
  }

  /** Frees a pending claim; a completed result is kept. */
  async release(key: string): Promise<void> {
    if (this.#entries.get(key)?.status === 'pending') this.#entries.delete(key);
  }

  #set(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
