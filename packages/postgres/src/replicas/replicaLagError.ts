import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** The stable code of {@link ReplicaLagError}. */
export const REPLICA_LAG_CODE = 'POSTGRES_REPLICA_LAG';

/** What a read-your-writes wait was waiting for, see {@link ReplicaLagError}. */
export interface ReplicaLagFacts {
  /** What the replica had to reach, e.g. `WAL position 0/3000148` or `global position 42`. */
  readonly waitedFor: string;
  /** How far the replica had come when the wait gave up, e.g. `0/3000100` or `41`. */
  readonly reached: string;
  /** The server waited on, e.g. `127.0.0.1:5433`, or `the read client` when it is unknown. */
  readonly where: string;
  /** How long the wait lasted, in ms. */
  readonly timeoutMs: number;
  /** How far behind the replica was, in words (e.g. `72 bytes of WAL behind`), when known. */
  readonly behind?: string | undefined;
}

/**
 * A replica did not catch up with a write in time: {@link waitForReplay} or
 * {@link waitForPosition} ran out of `timeoutMs`. The write itself is committed on the primary;
 * only its visibility on the replica is late. Read from the primary, or wait longer.
 */
export class ReplicaLagError extends KeelError {
  /** What the replica had to reach, e.g. `WAL position 0/3000148`. */
  readonly waitedFor: string;
  /** How far the replica had come when the wait gave up. */
  readonly reached: string;
  /** The server waited on. */
  readonly where: string;
  /** How long the wait lasted, in ms. */
  readonly timeoutMs: number;

  constructor(facts: ReplicaLagFacts, options: KeelErrorOptions = {}) {
    const behind = facts.behind === undefined ? '' : `, ${facts.behind}`;
    super(
      REPLICA_LAG_CODE,
      `The replica (${facts.where}) had not reached ${facts.waitedFor} after ${facts.timeoutMs} ms ` +
        `(it was at ${facts.reached}${behind}). The write is committed on the primary but not visible ` +
        'on the replica yet: read from the primary, or wait longer (timeoutMs).',
      { ...options, details: { ...options.details, ...facts } },
    );
    this.waitedFor = facts.waitedFor;
    this.reached = facts.reached;
    this.where = facts.where;
    this.timeoutMs = facts.timeoutMs;
  }
}

/** Whether `value` is a {@link ReplicaLagError}, from any loaded copy of this package. */
export function isReplicaLagError(value: unknown): value is ReplicaLagError {
  return isKeelError(value, REPLICA_LAG_CODE);
}
