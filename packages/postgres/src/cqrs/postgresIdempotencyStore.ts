import {
  assertOptions,
  newId,
  optionClock,
  optionNumber,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { checkIdempotencyArguments } from '@keel/cqrs';
import type { IdempotencyClaim, IdempotencyStore } from '@keel/cqrs';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { fromJsonColumn, toJsonParam } from '../internal/json.js';

/** Options of {@link PostgresIdempotencyStore}; an option that is `undefined` keeps its default. */
export interface PostgresIdempotencyStoreOptions {
  /** The schema that holds the `idempotency` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /** The clock for leases and expiry. @default systemClock */
  clock?: Clock | undefined;
  /** How long a completed result is remembered, in ms (> 0 or Infinity). @default 86_400_000 (24 h) */
  ttlMs?: number | undefined;
}

/** The defaults of {@link PostgresIdempotencyStoreOptions}. */
export const POSTGRES_IDEMPOTENCY_DEFAULTS = Object.freeze({
  schema: 'keel',
  clock: systemClock as Clock,
  ttlMs: 86_400_000,
});

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
 * process on one database. It passes `idempotencyStoreContract` from `@keel/cqrs/testing`:
 * `claim` is one atomic upsert, so of two concurrent claims of a key exactly one wins; each
 * claim carries an owner token that `renew`, `complete` and `release` check in the same
 * statement, so a holder whose lease expired cannot touch its successor's claim; a crashed
 * holder's claim can be taken over once its lease expires; results are kept for `ttlMs`. Call
 * {@link PostgresIdempotencyStore.purgeExpired} now and then.
 *
 * @throws {ValidationError} at construction when an option is out of range or of the wrong kind.
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
    const settings = withDefaults(POSTGRES_IDEMPOTENCY_DEFAULTS, options);
    assertOptions('PostgresIdempotencyStore', {
      schema: optionString(settings.schema),
      clock: optionClock(settings.clock, ['now']),
      ttlMs: optionNumber(settings.ttlMs, { min: 0, exclusiveMin: true, infinity: true }),
    });
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('idempotency');
    this.#clock = settings.clock;
    this.#ttlMs = settings.ttlMs;
  }

  /**
   * Claims `key` for `leaseMs` unless a live claim or result exists; see {@link IdempotencyStore.claim}.
   * @throws The abort reason first, then `SerializationError` for a key that cannot be
   *   stored as text, then `ValidationError` for a key over `MAX_IDEMPOTENCY_KEY_BYTES` or a
   *   `leaseMs` that is not a finite number above zero; nothing is written then.
   */
  async claim(key: string, leaseMs: number, signal?: AbortSignal): Promise<IdempotencyClaim> {
    checkIdempotencyArguments('claim', { key, leaseMs, signal });
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      const now = this.#clock.now();
      const token = newId();
      if (await this.#tryClaim(key, token, expiry(now, leaseMs), now)) return { status: 'claimed', token };
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

  async #tryClaim(key: string, token: string, expiresAt: number, now: number): Promise<boolean> {
    const { rowCount } = await this.#client.query(
      `INSERT INTO ${this.#table} AS t (key, status, result, expires_at, owner_token)
       VALUES ($1, 'pending', NULL, $2, $4)
       ON CONFLICT (key) DO UPDATE
         SET status = 'pending', result = NULL, expires_at = EXCLUDED.expires_at, owner_token = EXCLUDED.owner_token
       WHERE t.expires_at <= $3
       RETURNING key`,
      [key, expiresAt, now, token],
    );
    return rowCount > 0;
  }

  /**
   * Extends the claim `token` holds to `leaseMs` from now; see {@link IdempotencyStore.renew}.
   * @throws `ValidationError` when `leaseMs` is not a finite number above zero; nothing changes then.
   */
  async renew(key: string, token: string, leaseMs: number, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('renew', { key, leaseMs, signal });
    const { rowCount } = await this.#client.query(
      `UPDATE ${this.#table} SET expires_at = $3 WHERE key = $1 AND status = 'pending' AND owner_token = $2`,
      [key, token, expiry(this.#clock.now(), leaseMs)],
    );
    return rowCount > 0;
  }

  /**
   * Remembers `result` for `ttlMs`, unless another holder's claim or a live result is there;
   * see {@link IdempotencyStore.complete}.
   * @throws {SerializationError} when `result` cannot be stored as JSON; nothing is written then.
   */
  async complete(key: string, token: string, result: unknown, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('complete', { key, signal });
    const json = toJsonParam(result, `the result for idempotency key "${key}"`);
    const now = this.#clock.now();
    const { rowCount } = await this.#client.query(
      `INSERT INTO ${this.#table} AS t (key, status, result, expires_at, owner_token)
       VALUES ($1, 'completed', $3::jsonb, $4, NULL)
       ON CONFLICT (key) DO UPDATE
         SET status = 'completed', result = EXCLUDED.result, expires_at = EXCLUDED.expires_at, owner_token = NULL
       WHERE (t.status = 'pending' AND t.owner_token = $2) OR (t.status = 'completed' AND t.expires_at <= $5)
       RETURNING key`,
      [key, token, json, expiry(now, this.#ttlMs), now],
    );
    return rowCount > 0;
  }

  /** Frees the claim `token` holds so a later attempt runs again; see {@link IdempotencyStore.release}. */
  async release(key: string, token: string, signal?: AbortSignal): Promise<boolean> {
    checkIdempotencyArguments('release', { key, signal });
    const { rowCount } = await this.#client.query(
      `DELETE FROM ${this.#table} WHERE key = $1 AND status = 'pending' AND owner_token = $2`,
      [key, token],
    );
    return rowCount > 0;
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
