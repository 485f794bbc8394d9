import {
  assertOptions,
  optionClock,
  optionInteger,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import { isSqlError, LeaseLostError } from '../errors.js';

/** A lease held by one owner: valid for writes while `token` is still the stored one. */
export interface Lease {
  /** What is owned, e.g. `projection:balances` or `outbox:default`. */
  readonly name: string;
  /** Who owns it (unique per process or worker instance). */
  readonly owner: string;
  /** The fencing token: grows on every change of owner, so a stale owner's writes are refused. */
  readonly token: number;
  /** When the lease runs out unless renewed, in epoch ms of the clock. */
  readonly expiresAt: number;
}

/** Who holds a lease name, as stored (the owner is `undefined` once released). */
export interface LeaseHolder {
  readonly owner: string | undefined;
  readonly token: number;
  readonly expiresAt: number;
}

/** Options of {@link PostgresLeases}; an option that is `undefined` keeps its default. */
export interface PostgresLeasesOptions {
  /** The schema that holds the `worker_leases` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /**
   * How long a lease lasts after it is taken or renewed, in ms (an integer >= 1). An owner that
   * dies is replaced this long after its last renewal at the latest.
   * @default 30_000
   */
  ttlMs?: number | undefined;
  /**
   * The clock that dates expiries. Processes compare expiries written by each other's clocks,
   * so keep their skew well below `ttlMs`; skew can only delay or hasten a takeover, never let
   * a stale owner write (the fencing token decides that).
   * @default systemClock
   */
  clock?: Clock | undefined;
}

/** The defaults of {@link PostgresLeasesOptions}. */
export const POSTGRES_LEASES_DEFAULTS = Object.freeze({
  schema: 'keel',
  ttlMs: 30_000,
  clock: systemClock as Clock,
});

/**
 * Named leases with fencing tokens in the `worker_leases` table: at most one owner per name at
 * a time across processes, a takeover once the owner stops renewing (e.g. after `kill -9`),
 * and a token that grows on every change of owner. Writes made under a lease call
 * {@link PostgresLeases.assertHeld} in their transaction: it holds a key-share lock on the lease
 * row until the commit and refuses the write when the token moved on, so a stale owner that
 * wakes up late can never write. The lock keeps a takeover (which locks the row `FOR UPDATE`)
 * out until the write commits or rolls back, but not the owner's own {@link PostgresLeases.renew}
 * (a plain update), so a long write never delays its own renewals. Works on PostgreSQL and
 * PGlite, with any pooled connection.
 *
 * @throws {ValidationError} at construction when an option is out of range or of the wrong kind.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const leases = new PostgresLeases(client, { ttlMs: 15_000 });
 * const lease = await leases.tryAcquire('report:nightly', processId);
 * if (lease) await client.transaction(async (tx) => { await leases.assertHeld(tx, lease); … });
 * ```
 */
export class PostgresLeases {
  readonly #client: SqlExecutor;
  readonly #table: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;

  /**
   * @param client The client (not a transaction: leases must commit on their own).
   * @param options See {@link PostgresLeasesOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresLeasesOptions = {}) {
    const settings = withDefaults(POSTGRES_LEASES_DEFAULTS, options);
    assertOptions('PostgresLeases', {
      schema: optionString(settings.schema),
      ttlMs: optionInteger(settings.ttlMs, { min: 1 }),
      clock: optionClock(settings.clock, ['now']),
    });
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('worker_leases');
    this.#ttlMs = settings.ttlMs;
    this.#clock = settings.clock;
  }

  /** How long a lease lasts after it is taken or renewed, in ms. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Takes `name` for `owner` when nobody holds it or its lease ran out; the token then grows by
   * one. Concurrent callers: exactly one gets the lease. A write of the previous owner still in
   * flight (past {@link PostgresLeases.assertHeld}) keeps the lease from being taken until it
   * commits or rolls back: the call does not wait for it but returns `undefined` (try again later).
   *
   * @returns The lease, or `undefined` when another owner holds it or a write under it is in flight.
   */
  async tryAcquire(name: string, owner: string, signal?: AbortSignal): Promise<Lease | undefined> {
    throwIfAborted(signal);
    checkNames(name, owner);
    const now = this.#clock.now();
    const expiresAt = now + this.#ttlMs;
    try {
      // The fence: FOR UPDATE conflicts with the key-share lock of a write in flight (the upsert
      // alone would not); NOWAIT, so a heartbeat never waits for another owner's batch.
      const { rows } = await this.#client.query<{ token: unknown }>(
        `WITH fence AS (
           SELECT name FROM ${this.#table} WHERE name = $1 AND (owner IS NULL OR expires_at <= $4) FOR UPDATE NOWAIT
         )
         INSERT INTO ${this.#table} AS l (name, owner, token, expires_at)
         SELECT $1, $2, 1, $3 FROM (SELECT count(*) FROM fence) AS locked
         ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1, expires_at = EXCLUDED.expires_at
         WHERE l.owner IS NULL OR l.expires_at <= $4
         RETURNING token`,
        [name, owner, expiresAt, now],
      );
      const row = rows[0];
      return row === undefined ? undefined : { name, owner, token: toNumber(row.token), expiresAt };
    } catch (error) {
      if (isSqlError(error) && error.sqlState === LOCK_NOT_AVAILABLE) return undefined;
      throw error;
    }
  }

  /**
   * Extends a lease by `ttlMs` from now. Works even after the expiry as long as nobody took
   * the lease over (the token is unchanged).
   *
   * @returns The renewed lease.
   * @throws {LeaseLostError} when another owner took it over or it was released.
   */
  async renew(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    throwIfAborted(signal);
    const expiresAt = this.#clock.now() + this.#ttlMs;
    const { rowCount } = await this.#client.query(
      `UPDATE ${this.#table} SET expires_at = $4 WHERE name = $1 AND owner = $2 AND token = $3`,
      [lease.name, lease.owner, lease.token, expiresAt],
    );
    if (rowCount === 0) throw await this.#lost(this.#client, lease);
    return { ...lease, expiresAt };
  }

  /**
   * Gives a lease up so another owner can take it at once. A lease already taken over is left
   * alone.
   *
   * @returns Whether this call released it.
   */
  async release(lease: Lease, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    const { rowCount } = await this.#client.query(
      `UPDATE ${this.#table} SET owner = NULL, expires_at = 0 WHERE name = $1 AND owner = $2 AND token = $3`,
      [lease.name, lease.owner, lease.token],
    );
    return rowCount > 0;
  }

  /**
   * The fence: call it first in the transaction of every write made under `lease`. It holds a
   * key-share lock on the lease row until the transaction ends (no takeover commits before the
   * write does) and refuses the write when the lease changed owner since it was taken. The
   * owner's {@link PostgresLeases.renew} does not wait for that lock.
   *
   * @param tx The transaction of the write.
   * @throws {LeaseLostError} when the lease is no longer held with this token.
   */
  async assertHeld(tx: SqlExecutor, lease: Lease): Promise<void> {
    await this.fence(tx, lease);
  }

  /**
   * {@link PostgresLeases.assertHeld} that also tells which server process runs `tx`, so that
   * its statement in flight can be cancelled (`pg_cancel_backend`) from another connection.
   *
   * @returns The server process id of `tx`'s connection.
   * @throws {LeaseLostError} when the lease is no longer held with this token.
   */
  async fence(tx: SqlExecutor, lease: Lease): Promise<{ readonly backendPid: number }> {
    // KEY SHARE: a takeover's FOR UPDATE conflicts with it, the owner's renewal UPDATE does not.
    const { rows } = await tx.query<{ owner: string | null; token: unknown; pid: unknown }>(
      `SELECT owner, token, pg_backend_pid() AS pid FROM ${this.#table} WHERE name = $1 FOR KEY SHARE`,
      [lease.name],
    );
    const row = rows[0];
    if (row?.owner === lease.owner && toNumber(row.token) === lease.token) {
      return { backendPid: toNumber(row.pid) };
    }
    throw await this.#lost(tx, lease, row);
  }

  /** Who holds each of `names` (names never leased are missing from the map). */
  async holders(names: readonly string[], signal?: AbortSignal): Promise<Map<string, LeaseHolder>> {
    throwIfAborted(signal);
    const { rows } = await this.#client.query<{
      name: string;
      owner: string | null;
      token: unknown;
      expires_at: unknown;
    }>(`SELECT name, owner, token, expires_at FROM ${this.#table} WHERE name = ANY($1::text[])`, [
      [...names],
    ]);
    return new Map(
      rows.map((row) => [
        row.name,
        { owner: row.owner ?? undefined, token: toNumber(row.token), expiresAt: toNumber(row.expires_at) },
      ]),
    );
  }

  async #lost(
    client: SqlExecutor,
    lease: Lease,
    known?: { owner: string | null; token: unknown },
  ): Promise<LeaseLostError> {
    const row =
      known ??
      (
        await client.query<{ owner: string | null; token: unknown }>(
          `SELECT owner, token FROM ${this.#table} WHERE name = $1`,
          [lease.name],
        )
      ).rows[0];
    const current =
      row === undefined
        ? 'no such lease'
        : row.owner === null
          ? `released at token ${toNumber(row.token)}`
          : `held by "${row.owner}" with token ${toNumber(row.token)}`;
    return new LeaseLostError(lease.name, lease.token, current);
  }
}

/** SQLSTATE of a lock that NOWAIT could not take. */
const LOCK_NOT_AVAILABLE = '55P03';

function checkNames(name: unknown, owner: unknown): void {
  assertOptions('PostgresLeases.tryAcquire', {
    name: optionString(name, true),
    owner: optionString(owner, true),
  });
}
