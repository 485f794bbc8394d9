/** Where a saga instance is in its life. `completed`, `compensated` and `failed` are final. */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'failed';

/** The statuses of sagas that still have work to do, which `recover()` resumes. */
export const UNFINISHED_SAGA_STATUSES: readonly SagaStatus[] = Object.freeze(['running', 'compensating']);

/** Whether a saga in `status` has finished for good. */
export function isFinalSagaStatus(status: SagaStatus): boolean {
  return status === 'completed' || status === 'compensated' || status === 'failed';
}

/** A stored, serializable description of an error. */
export interface SagaErrorInfo {
  /** The error's class name, e.g. `TimeoutError`. */
  readonly name: string;
  readonly message: string;
  /** The `code` of a Keel (or Node) error, when it has one. */
  readonly code?: string;
}

/**
 * One transition in a saga's history. The orchestrator appends each one to the store before it
 * acts on it; times are milliseconds since the epoch.
 */
export type SagaHistoryEntry =
  | {
      readonly type: 'sagaStarted';
      readonly at: number;
      /**
       * The W3C trace context (`traceparent`, `tracestate`) active when the saga started, when
       * telemetry is installed: a run resumed in another process continues that trace.
       */
      readonly trace?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'stepStarted';
      readonly at: number;
      readonly step: string;
      /** 1 for the first start, more when the step is run again after a crash. */
      readonly attempt: number;
      /** When the step times out, stored so the limit holds across restarts. */
      readonly timeoutAt?: number;
    }
  | { readonly type: 'stepCompleted'; readonly at: number; readonly step: string; readonly output: unknown }
  | {
      readonly type: 'stepFailed';
      readonly at: number;
      readonly step: string;
      readonly error: SagaErrorInfo;
      /**
       * `true` when the step may have taken effect although it failed: its timeout or the
       * saga's deadline cut it off while it ran (or after a crash), or its output could not be
       * stored. Such a step is compensated too, with `outcome: 'unknown'`.
       */
      readonly outcomeUnknown?: boolean;
    }
  | { readonly type: 'deadlineExceeded'; readonly at: number; readonly error: SagaErrorInfo }
  | {
      readonly type: 'compensationStarted';
      readonly at: number;
      readonly step: string;
      readonly attempt: number;
    }
  | { readonly type: 'compensationCompleted'; readonly at: number; readonly step: string }
  | {
      readonly type: 'compensationFailed';
      readonly at: number;
      readonly step: string;
      readonly error: SagaErrorInfo;
    }
  | { readonly type: 'compensationResumed'; readonly at: number }
  | { readonly type: 'sagaCompleted'; readonly at: number }
  | { readonly type: 'sagaCompensated'; readonly at: number }
  | { readonly type: 'sagaFailed'; readonly at: number; readonly error: SagaErrorInfo };

/** Who is working on a saga, and until when. An expired lease may be taken over. */
export interface SagaLease {
  readonly owner: string;
  /** Expiry, in milliseconds since the epoch. */
  readonly until: number;
}

/** The durable state of one saga instance. Everything in it must be JSON-serializable. */
export interface SagaRecord {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly status: SagaStatus;
  readonly input: unknown;
  /** Every transition so far, oldest first. */
  readonly history: readonly SagaHistoryEntry[];
  /** Why the saga is compensating or failed: the step failure, then the compensation failure. */
  readonly error?: SagaErrorInfo;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The saga-level deadline, absolute, so it holds across restarts. */
  readonly deadlineAt?: number;
  /** Optimistic-concurrency version: 1 when created, +1 on every write (lease takeovers included). */
  readonly version: number;
  /** The current lease, as last written by the lease methods; `save` never changes it. */
  readonly lease?: SagaLease;
}

/** What {@link SagaStore.create} did. */
export interface SagaCreateResult {
  /** `true` when the record was inserted, `false` when one with that id already existed. */
  readonly created: boolean;
  /** The stored record: the new one, or the one that was already there. */
  readonly record: SagaRecord;
}

/** A filter for {@link SagaStore.list}. */
export interface SagaQuery {
  /** Only sagas in this status (or any of these). */
  readonly status?: SagaStatus | readonly SagaStatus[];
  /** Only sagas of this definition. */
  readonly sagaName?: string;
  /** At most this many records. @default no limit */
  readonly limit?: number;
}

/** A position in the order of {@link SagaStore.claimUnfinished}: oldest first, by `createdAt`, then id. */
export interface SagaClaimCursor {
  readonly createdAt: number;
  readonly sagaId: string;
}

/** A request to lease unfinished sagas, see {@link SagaStore.claimUnfinished}. */
export interface SagaClaimRequest {
  readonly owner: string;
  /** Expiry of the new leases. */
  readonly until: number;
  /** The current time: leases that expire at or before it are free. */
  readonly now: number;
  /** At most this many sagas. */
  readonly limit: number;
  /** Only sagas with one of these names (the ones the caller can run). */
  readonly sagaNames?: readonly string[];
  /**
   * Only sagas strictly after this position (by `createdAt`, then `sagaId`). `recover()` passes
   * the last saga of the previous batch, so one pass pages forward through every unfinished
   * saga and never claims the same oldest ones again, whatever happens to them.
   */
  readonly after?: SagaClaimCursor;
}

/**
 * Durable storage of saga instances. Every write is guarded by the record's `version`
 * (optimistic concurrency) and leases decide who may work on a saga; taking a lease over bumps
 * the version, so a previous owner's next `save` fails and it stops (fencing).
 *
 * A SQL implementation maps each method to one statement or transaction, e.g. `claimUnfinished`
 * as `UPDATE … WHERE saga_id IN (SELECT … WHERE status IN ('running','compensating') AND
 * (lease_until IS NULL OR lease_until <= $now) AND (created_at, saga_id) > ($after) ORDER BY
 * created_at, saga_id LIMIT $n FOR UPDATE SKIP LOCKED) RETURNING *`.
 *
 * Values are kept as JSON that PostgreSQL's `jsonb` can hold, by the rules of core's
 * `toStorableJson`: a value it refuses (NUL characters, lone surrogates, BigInt, …) is refused
 * with a `SerializationError` before anything is written, and a value JSON changes (a `Date`
 * becomes its ISO string) comes back changed. Lease times (`until`, `now`) must be finite
 * numbers: a store rejects any other, changing nothing, since a lease until NaN would never
 * expire. Run `sagaStoreContract` from `@keel/saga/testing` against an implementation.
 */
export interface SagaStore {
  /**
   * Inserts `record` (stored at version 1, with its `lease`) unless a saga with the same id
   * exists, atomically: of two concurrent creates with one id, exactly one reports `created`.
   * @throws {SerializationError} (from `@keel/core`) when the input or history cannot be stored.
   */
  create(record: SagaRecord): Promise<SagaCreateResult>;
  /** The saga with this id, or `undefined`. */
  get(sagaId: string): Promise<SagaRecord | undefined>;
  /**
   * Replaces the saga's state (everything but `lease`, `sagaId`, `sagaName`, `createdAt`) if
   * its stored version is `expectedVersion`, and returns it at `expectedVersion + 1`.
   * @throws {ConcurrencyError} when the stored version differs.
   * @throws {NotFoundError} when there is no such saga.
   * @throws {SerializationError} (from `@keel/core`) when a value cannot be stored; nothing changes.
   */
  save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord>;
  /**
   * Leases an unfinished saga to `owner` until `until` if it has no lease or its lease expired
   * at or before `now`; bumps the version. Returns the leased record, or `undefined` when the
   * saga is missing, finished, or leased by anyone (including `owner`) until after `now`.
   */
  tryAcquireLease(sagaId: string, owner: string, until: number, now: number): Promise<SagaRecord | undefined>;
  /** Extends `owner`'s lease to `until`; returns `false` (and changes nothing) if `owner` no longer holds it. */
  renewLease(sagaId: string, owner: string, until: number): Promise<boolean>;
  /** Drops `owner`'s lease so another orchestrator may take the saga at once; a no-op for anyone else. */
  releaseLease(sagaId: string, owner: string): Promise<void>;
  /**
   * Leases up to `limit` unfinished sagas whose lease is free or expired, oldest first (by
   * `createdAt`, then `sagaId`), starting after `request.after` when given, atomically; returns
   * them in that order.
   */
  claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]>;
  /** Sagas matching `query`, oldest first (by `createdAt`, then id). */
  list(query?: SagaQuery): Promise<SagaRecord[]>;
}
