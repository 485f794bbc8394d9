import type { Message } from '@keel/core';

/** Whether a process instance still reacts to events. */
export type ProcessStatus = 'active' | 'completed';

/** The durable state of one process-manager instance. Everything in it must be JSON-serializable. */
export interface ProcessInstance<TState = unknown> {
  /** The process manager's name. */
  readonly processName: string;
  /** The correlation key that routes events to this instance (e.g. the order id). */
  readonly correlationId: string;
  readonly status: ProcessStatus;
  readonly state: TState;
  /** Ids of the messages already received (the inbox): a redelivered one is ignored. */
  readonly handled: readonly string[];
  /** Events that arrived too early for the state machine, kept and offered again after each event. */
  readonly pending: readonly Message[];
  /** Commands decided but not yet confirmed sent; sent again after a crash. */
  readonly outbox: readonly Message[];
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Optimistic-concurrency version: 0 before the first save, +1 on each. */
  readonly version: number;
}

/**
 * Durable storage of process-manager instances, keyed by process name and correlation id. State,
 * inbox and outbox are saved together, so a SQL implementation writes them in one transaction.
 * Values are kept by the rules of core's `toStorableJson`, alike in every store: what PostgreSQL
 * cannot hold (NUL characters, lone surrogates, BigInt, …) is refused with a `SerializationError`
 * before anything is written, and what JSON changes (a `Date` becomes its ISO string) comes back
 * changed. Run `processStoreContract` from `@keel/saga/testing` against an implementation.
 */
export interface ProcessStore {
  /** The instance for this key, or `undefined`. */
  load(processName: string, correlationId: string): Promise<ProcessInstance | undefined>;
  /**
   * Inserts (when `expectedVersion` is 0) or replaces the instance if its stored version is
   * `expectedVersion`; returns it at `expectedVersion + 1`.
   * @throws {ConcurrencyError} when the stored version differs (or it exists and 0 was expected).
   * @throws {SerializationError} (from `@keel/core`) when a value cannot be stored; nothing changes.
   */
  save(instance: ProcessInstance, expectedVersion: number): Promise<ProcessInstance>;
  /** The instances of `processName` whose outbox is not empty, oldest first. */
  listWithOutbox(processName: string): Promise<ProcessInstance[]>;
}
