import { CancelledError, raceAbort, throwIfAborted, whenAborted } from '@keel/core';
import type {
  CheckpointTransactionScope,
  SignalOptions,
  TransactionalCheckpointStore,
} from '@keel/eventsourcing';
import type { SqlExecutor, SqlIsolationLevel, SqlTransaction } from '../../client/sqlClient.js';
import { PostgresCheckpointStore } from '../projections/postgresCheckpointStore.js';
import type { Lease, PostgresLeases } from '../../leases/postgresLeases.js';

/** What {@link FencedCheckpoints} needs from its owner. */
export interface FencedCheckpointsSettings {
  readonly client: SqlExecutor;
  readonly schema: string;
  readonly isolation: SqlIsolationLevel | undefined;
  readonly leases: PostgresLeases;
  readonly lease: Lease;
  /**
   * Called, before the refused write throws, when the lease is lost or a drain began: the
   * owner aborts its runner there, so the runner takes the refusal as a stop (no retry, no
   * dead letter).
   */
  readonly onRefused: () => void;
}

/**
 * The checkpoint store of a projection run under a lease: every batch transaction and every
 * checkpoint write first passes {@link PostgresLeases.assertHeld}, so a process that lost the
 * lease (paused, partitioned, slow) can neither write its read model nor move the checkpoint;
 * and the checkpoint upsert itself never moves backwards. Draining lets the batch in flight
 * commit and refuses the next one. A batch whose signal aborts (its runner stopped: a stop past
 * its deadline, a lost lease) would roll back anyway, so it rolls back at once: the transaction
 * stops waiting for the handlers (one that ignores its signal is abandoned, and its later
 * statements on the transaction fail) and, on a PostgreSQL server, the statement in flight is
 * cancelled from another connection.
 */
export class FencedCheckpoints implements TransactionalCheckpointStore<SqlTransaction> {
  readonly #settings: FencedCheckpointsSettings;
  readonly #outside: PostgresCheckpointStore;
  #inFlight: Promise<unknown> | undefined;
  #draining = false;

  constructor(settings: FencedCheckpointsSettings) {
    this.#settings = settings;
    this.#outside = new PostgresCheckpointStore(settings.client, { schema: settings.schema });
  }

  /** Refuses every batch that has not started yet; see {@link FencedCheckpoints.settled}. */
  drain(): void {
    this.#draining = true;
  }

  /** Resolves once no batch transaction is in flight (never rejects). */
  async settled(): Promise<void> {
    for (let current = this.#inFlight; current !== undefined; current = this.#inFlight) {
      await current.then(
        () => undefined,
        () => undefined,
      );
      if (this.#inFlight === current) this.#inFlight = undefined;
    }
  }

  load(name: string, options?: SignalOptions): Promise<number | undefined> {
    return this.#outside.load(name, options);
  }

  save(name: string, position: number, options: SignalOptions = {}): Promise<void> {
    return this.inTransaction(({ checkpoints }) => checkpoints.save(name, position, options), options);
  }

  delete(name: string, options: SignalOptions = {}): Promise<void> {
    return this.inTransaction(({ checkpoints }) => checkpoints.delete(name, options), options);
  }

  inTransaction<T>(
    work: (scope: CheckpointTransactionScope<SqlTransaction>) => Promise<T>,
    options: SignalOptions = {},
  ): Promise<T> {
    throwIfAborted(options.signal);
    if (this.#draining) {
      this.#settings.onRefused();
      return Promise.reject(new CancelledError('The projection is handing its lease over.'));
    }
    const { client, schema, isolation, leases, lease } = this.#settings;
    const run = client.transaction(
      async (tx) => {
        let backendPid: number;
        try {
          ({ backendPid } = await leases.fence(tx, lease));
        } catch (error) {
          this.#settings.onRefused();
          throw error;
        }
        const scope = { transaction: tx, checkpoints: new PostgresCheckpointStore(tx, { schema }) };
        return this.#cancellable(backendPid, options.signal, () => work(scope));
      },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(isolation === undefined ? {} : { isolation }),
      },
    );
    this.#inFlight = run;
    return run;
  }

  /**
   * Runs `work`; when `signal` aborts meanwhile, rejects at once with its reason (the transaction
   * then rolls back) and cancels the statement the transaction's server process runs, which the
   * rollback would otherwise wait for. It settles only once the cancel request is done, so the
   * cancel cannot reach the connection's next user.
   */
  async #cancellable<T>(
    backendPid: number,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    if (signal === undefined) return work();
    let cancelling: Promise<unknown> | undefined;
    // On PGlite, statements run one at a time: a cancel would only run after the statement.
    const cancels = this.#settings.client.dialect === 'postgres';
    const unfollow = whenAborted(signal, () => {
      if (!cancels) return;
      cancelling = this.#settings.client
        .query('SELECT pg_cancel_backend($1)', [backendPid])
        .catch(() => undefined); // Not cancelled: the statement runs to its end before the rollback.
    });
    try {
      return await raceAbort(work(), signal);
    } finally {
      unfollow();
      await cancelling;
    }
  }
}
