import { systemClock, throwIfAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import type { IdempotencyClaim, IdempotencyStore } from '@keel/cqrs';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { fromJsonColumn, toJsonParam } from '../internal/json.js';
import { checkPositive, definedOnly } from '../internal/options.js';

/** Options of {@link PostgresIdempotencyStore}. */
export interface PostgresIdempotencyStoreOptions {
  /** The schema that holds the `idempotency` table (created by `migrate()`). @default 'keel' */
  schema?: string;
  /** The clock for leases and expiry. @default systemClock */
  clock?: Clock;
  /** How long a completed result is remembered, in ms (> 0 or Infinity). @default 86_400_000 (24 h) */
  ttlMs?: number;
}

/** The defaults of {@link PostgresIdempotencyStoreOptions}. */
export const POSTGRES_IDEMPOTENCY_DEFAULTS = Object.freeze({ schema: 'keel', ttlMs: 86_400_000 });

/** How often `claim` retries when the entry vanished between its two statements. */
const MAX_CLAIM_ATTEMPTS = 3;

/** A far-future expiry for results kept forever (`ttlMs: Infinity`); fits a bigint column. */
const FOREVER = Number.MAX_SAFE_INTEGER;

interface IdempotencyRow {
  readonly status: 'pending' | 'completed';
  readonly result: unknown;
  readonly result_is_null: boolean;
}

/**
 * A durable {@link IdempotencyStore} for the cqrs `idempotencyMiddleware`, shared by every
 * process on one database: `claim` is one atomic upsert, so of two concurrent claims of a key
 * exactly one wins; a crashed holder's claim can be taken over once its lease expires; results
 * are kept for `ttlMs`. Call {@link PostgresIdempotencyStore.purgeExpired} now and then.
 *
 * @throws {PostgresOptionError} at construction when `ttlMs` is out of range.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const commands = createCommandBus({
 *   middleware: [idempotencyMiddleware({ store: new PostgresIdempotencyStore(client) })],
 * });
 * ```
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  readonly #client: SqlExecutor;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(client: SqlExecutor, options: PostgresIdempotencyStoreOptions = {}) {
    const settings = { ...POSTGRES_IDEMPOTENCY_DEFAULTS, ...definedOnly(options) };
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('idempotency');
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = checkPositive('ttlMs', settings.ttlMs, true);
  }

  /** Claims `key` for `leaseMs` unless a live claim or result exists; see {@link IdempotencyStore.claim}. */
  async claim(key: string, leaseMs: number, signal?: AbortSignal): Promise<IdempotencyClaim> {
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      const now = this.#clock.now();
      if (await this.#tryClaim(key, expiry(now, leaseMs), now)) return { status: 'claimed' };
      const { rows } = await this.#client.query<IdempotencyRow>(
        `SELECT status, result, result IS NULL AS result_is_null FROM ${this.#table} WHERE key = $1 AND expires_at > $2`,
        [key, now],
      );
      const row = rows[0];
      if (row !== undefined) {
        return row.status === 'completed'
          ? { status: 'completed', result: fromJsonColumn(row.result, row.result_is_null) }
          : { status: 'pending' };
      }
      // The holder released, or its entry expired, between the two statements: claim again,
      // but a few times only; `pending` makes the caller poll.
      if (attempt >= MAX_CLAIM_ATTEMPTS) return { status: 'pending' };
    }
  }

  async #tryClaim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const { rowCount } = await this.#client.query(
      `INSERT INTO ${this.#table} AS t (key, status, result, expires_at) VALUES ($1, 'pending', NULL, $2)
       ON CONFLICT (key) DO UPDATE SET status = 'pending', result = NULL, expires_at = EXCLUDED.expires_at
       WHERE t.expires_at <= $3
       RETURNING key`,
      [key, expiresAt, now],
    );
    return rowCount > 0;
  }

  /**
   * Remembers `result` for `ttlMs`; later claims of `key` get it.
   * @throws {SerializationError} when `result` cannot be stored as JSON.
   */
  async complete(key: string, result: unknown, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.#client.query(
      `INSERT INTO ${this.#table} AS t (key, status, result, expires_at) VALUES ($1, 'completed', $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET status = 'completed', result = EXCLUDED.result, expires_at = EXCLUDED.expires_at`,
      [
        key,
        toJsonParam(result, `the result for idempotency key "${key}"`),
        expiry(this.#clock.now(), this.#ttlMs),
      ],
    );
  }

  /** Frees a pending claim so a later attempt runs again; a completed result is kept. */
  async release(key: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.#client.query(`DELETE FROM ${this.#table} WHERE key = $1 AND status = 'pending'`, [key]);
  }

  /**
   * Deletes every expired entry (results past `ttlMs`, abandoned claims past their lease).
   * @returns How many entries were deleted.
   */
  async purgeExpired(signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    const { rowCount } = await this.#client.query(`DELETE FROM ${this.#table} WHERE expires_at <= $1`, [
      this.#clock.now(),
    ]);
    return rowCount;
  }
}

function expiry(now: number, ms: number): number {
  return Number.isFinite(ms) ? Math.min(FOREVER, now + Math.ceil(ms)) : FOREVER;
}
