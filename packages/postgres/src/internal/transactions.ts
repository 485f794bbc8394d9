import { abortReason, throwIfAborted } from '@keel/core';
import type { SqlIsolationLevel, SqlTransaction, SqlTransactionOptions } from '../client/sqlClient.js';

const ISOLATION: Readonly<Record<SqlIsolationLevel, string>> = Object.freeze({
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
});

/** The statement that sets `isolation` as the first one of a transaction, or undefined. */
export function isolationStatement(isolation: SqlIsolationLevel | undefined): string | undefined {
  if (isolation === undefined) return undefined;
  const level = ISOLATION[isolation];
  if (level === undefined) throw new RangeError(`Unknown isolation level ${JSON.stringify(isolation)}.`);
  return `SET TRANSACTION ISOLATION LEVEL ${level}`;
}

/** Throws the abort reason when the signal aborted while the transaction body ran. */
export function checkBeforeCommit(options: SqlTransactionOptions | undefined): void {
  if (options?.signal?.aborted) throw abortReason(options.signal);
}

let savepoints = 0;

/** Runs `fn` inside a SAVEPOINT of the open transaction `tx`, rolling back to it on failure. */
export async function withSavepoint<T>(
  tx: SqlTransaction,
  fn: (tx: SqlTransaction) => Promise<T>,
  options: SqlTransactionOptions | undefined,
): Promise<T> {
  throwIfAborted(options?.signal);
  const name = `keel_sp_${++savepoints}`;
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    checkBeforeCommit(options);
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}
