import {
  assertOptions,
  newId,
  optionClock,
  optionInteger,
  optionNumber,
  systemClock,
  toStorableJson,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { checkIdempotencyArguments } from './idempotencyArguments.js';
import type { IdempotencyClaim, IdempotencyStore } from './idempotencyStore.js';

/** Options of {@link InMemoryIdempotencyStore}; an option that is `undefined` keeps its default. */
export interface InMemoryIdempotencyStoreOptions {
  /** The clock for leases and expiry. @default systemClock */
  clock?: Clock | undefined;
  /** How long a completed result is remembered, in ms (> 0 or Infinity). @default 86_400_000 (24 h) */
  ttlMs?: number | undefined;
  /**
   * The most keys kept (an integer >= 1 or Infinity); beyond it the oldest expired or completed
   * entries are forgotten first. Live claims are never forgotten, so a running handler cannot
   * be run a second time because of this limit.
   * @default 10_000
   */
  maxEntries?: number | undefined;
}

/** The defaults of {@link InMemoryIdempotencyStoreOptions}. */
export const IN_MEMORY_IDEMPOTENCY_DEFAULTS = Object.freeze({
  clock: systemClock as Clock,
  ttlMs: 86_400_000,
  maxEntries: 10_000,
});

type Entry =
  | { readonly status: 'pending'; readonly token: string; expiresAt: number }
  /** `json` is the stored text (`undefined` for an `undefined` result), parsed on every read. */
  | { readonly status: 'completed'; readonly json: string | undefined; readonly expiresAt: number };

/**
 * An {@link IdempotencyStore} in one process's memory, for tests, prototypes and single-process
 * services. It keeps the same rules as the PostgreSQL store: owner tokens, results stored as
 * JSON (refused with `SerializationError` when PostgreSQL could not hold them) and handed back
 * as copies. Results are kept for `ttlMs`, at most `maxEntries` keys.
 *
 * @throws {ValidationError} at construction when an option is out of range.
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

  constructor(options: InMemoryIdempotencyStoreOptions = {}) {
    const settings = withDefaults(IN_MEMORY_IDEMPOTENCY_DEFAULTS, options);
    assertOptions('InMemoryIdempotencyStore', {
      clock: optionClock(settings.clock, ['now']),
      ttlMs: optionNumber(settings.ttlMs, { min: 0, exclusiveMin: true, infinity: true }),
      maxEntries: optionInteger(settings.maxEntries, { min: 1, infinity: true }),
    });
    this.#clock = settings.clock;
    this.#ttlMs = settings.ttlMs;
    this.#maxEntries = settings.maxEntries;
  }

  /** How many keys are remembered (pending or completed), expired ones included until touched. */
  get size(): number {
    return this.#entries.size;
  }

  /** Claims `key` for `leaseMs` unless a live claim or result exists; see {@link IdempotencyStore.claim}. */
  async claim(key: string, leaseMs: number, signal?: AbortSignal): Promise<IdempotencyClaim> {
    checkIdempotencyArguments('claim', { key, leaseMs, signal });
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > now) {
      return entry.status === 'completed'
        ? { status: 'completed', result: parse(entry.json) }
        : { status: 'pending' };
    }
    const token = newId();
    this.#set(key, { status: 'pending', token, expiresAt: now + Math.ceil(leaseMs) });
    return { status: 'claimed', token };
  }

  /** Extends the claim `token` holds; see {@link IdempotencyStore.renew}. */
  async renew(key: string, token: string, leaseMs: number, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('renew', { key, leaseMs, signal });
    const entry = this.#entries.get(key);
    if (entry?.status !== 'pending' || entry.token !== token) return false;
    entry.expiresAt = this.#clock.now() + Math.ceil(leaseMs);
    return true;
  }

  /** Remembers a copy of `result` for `ttlMs`; see {@link IdempotencyStore.complete}. */
  async complete(key: string, token: string, result: unknown, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('complete', { key, signal });
    const json = toStorableJson(result, `the result for idempotency key "${key}"`);
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    const free =
      entry === undefined || (entry.status === 'pending' ? entry.token === token : entry.expiresAt <= now);
    if (!free) return false;
    this.#set(key, { status: 'completed', json, expiresAt: now + this.#ttlMs });
    return true;
  }

  /** Frees the claim `token` holds; a result is kept. See {@link IdempotencyStore.release}. */
  async release(key: string, token: string, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('release', { key, signal });
    const entry = this.#entries.get(key);
    if (entry?.status !== 'pending' || entry.token !== token) return false;
    this.#entries.delete(key);
    return true;
  }

  #set(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) this.#evict();
  }

  /** Forgets the oldest entries that are not live claims until the limit holds again. */
  #evict(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries) return;
      if (entry.status === 'completed' || entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}

function parse(json: string | undefined): unknown {
  return json === undefined ? undefined : JSON.parse(json);
}
