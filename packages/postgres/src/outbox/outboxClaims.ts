import type { Message } from '@keel/core';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';

/** One message a relay reserved. */
export interface ClaimedRow {
  readonly position: number | string;
  readonly message: Message;
  readonly attempts: number;
}

/** What a failed publish writes back: the next try, or that the message failed for good. */
export interface FailureRecord {
  readonly attempts: number;
  readonly availableAt: number;
  readonly failedAt: number | null;
  readonly lastError: string;
}

/** The largest `bigint`: no pending message blocks the topic. */
const NO_BLOCKER = '9223372036854775807';

/**
 * The statements of one relay on the outbox table: claims, marks, failures, releases. Every
 * write after the claim names the relay (`locked_by`), so a relay whose lease ran out and was
 * taken over cannot overwrite the new holder's claim.
 */
export class OutboxClaims {
  readonly #client: SqlExecutor;
  readonly #table: string;
  readonly #topic: string;
  readonly #relayId: string;
  readonly #claimSql: string;

  /**
   * @param ordered Whether a message blocks the later ones of its topic while another relay
   *   holds it or it waits for a retry (the exclusive worker), instead of being skipped.
   */
  constructor(client: SqlExecutor, table: string, topic: string, relayId: string, ordered: boolean) {
    this.#client = client;
    this.#table = table;
    this.#topic = topic;
    this.#relayId = relayId;
    this.#claimSql = claimStatement(table, ordered);
  }

  /** Reserves up to `limit` due messages until `lockedUntil`, oldest first. */
  async claim(now: number, lockedUntil: number, limit: number): Promise<ClaimedRow[]> {
    const { rows } = await this.#client.query<ClaimedRow>(this.#claimSql, [
      this.#relayId,
      lockedUntil,
      this.#topic,
      now,
      limit,
    ]);
    return rows.sort((a, b) => toNumber(a.position) - toNumber(b.position));
  }

  /** Marks `rows` published and frees them. */
  async markDispatched(rows: readonly ClaimedRow[], now: number): Promise<void> {
    if (rows.length === 0) return;
    await this.#client.query(
      `UPDATE ${this.#table} SET dispatched_at = $1, locked_by = NULL, locked_until = NULL
       WHERE position = ANY($2::bigint[]) AND locked_by = $3`,
      [now, rows.map((row) => row.position), this.#relayId],
    );
  }

  /** Writes a failed attempt back and frees the message. */
  async recordFailure(row: ClaimedRow, record: FailureRecord): Promise<void> {
    await this.#client.query(
      `UPDATE ${this.#table}
       SET attempts = $1, available_at = $2, failed_at = $3, last_error = $4, locked_by = NULL, locked_until = NULL
       WHERE position = $5 AND locked_by = $6`,
      [record.attempts, record.availableAt, record.failedAt, record.lastError, row.position, this.#relayId],
    );
  }

  /** Frees `rows` untouched, for the next round. */
  async release(rows: readonly ClaimedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#client.query(
      `UPDATE ${this.#table} SET locked_by = NULL, locked_until = NULL
       WHERE position = ANY($1::bigint[]) AND locked_by = $2`,
      [rows.map((row) => row.position), this.#relayId],
    );
  }
}

/**
 * The claim: the oldest due, unclaimed messages of the topic. Ordered, it stops before the
 * first pending message that another relay still holds (a previous owner's claim) or that waits
 * for a retry; messages delayed at enqueue (no attempt yet) never block.
 */
function claimStatement(table: string, ordered: boolean): string {
  const pending = 'topic = $3 AND dispatched_at IS NULL AND failed_at IS NULL';
  const beforeBlocker = ordered
    ? `AND position < (SELECT coalesce(min(position), ${NO_BLOCKER}) FROM ${table}
                       WHERE ${pending} AND (locked_until > $4 OR (attempts > 0 AND available_at > $4)))`
    : '';
  return `UPDATE ${table} AS o SET locked_by = $1, locked_until = $2
    FROM (SELECT position FROM ${table}
          WHERE ${pending} AND available_at <= $4
            AND (locked_until IS NULL OR locked_until <= $4) ${beforeBlocker}
          ORDER BY position LIMIT $5
          FOR UPDATE SKIP LOCKED) AS due
    WHERE o.position = due.position
    RETURNING o.position, o.message, o.attempts`;
}
