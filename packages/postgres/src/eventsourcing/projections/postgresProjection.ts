import {
  assertOptions,
  optionFunction,
  optionObject,
  optionRule,
  optionString,
  ValidationError,
} from '@keel/core';
import type {
  EventFilter,
  Projection,
  ProjectionContext,
  RecordedEvent,
  RecordedEventOf,
} from '@keel/eventsourcing';
import type { SqlTransaction } from '../../client/sqlClient.js';

/** What a {@link definePostgresProjection} handler receives besides the event(s). */
export interface PostgresProjectionContext {
  /** The batch's transaction: write the read model with it (and nothing else). */
  readonly tx: SqlTransaction;
  /** Aborted when the runner stops or its policy gives up on this call. */
  readonly signal: AbortSignal;
}

/** One handler of a PostgreSQL projection. */
export type PostgresProjectionHandler<TEvent extends RecordedEvent> = (
  event: TEvent,
  context: PostgresProjectionContext,
) => unknown;

/** Handlers by event type; the projection subscribes to exactly these types. */
export type PostgresProjectionHandlers<TEvent extends { type: string; data: unknown }> = {
  readonly [TType in TEvent['type']]?: PostgresProjectionHandler<
    RecordedEventOf<Extract<TEvent, { type: TType }>>
  >;
};

/** Options of {@link definePostgresProjection}: `handlers` or `handleBatch`, not both. */
export interface DefinePostgresProjectionOptions<TEvent extends { type: string; data: unknown }> {
  /** The name its checkpoint and dead letters are kept under. Stable across deployments. */
  name: string;
  /** One handler per event type, called in order within the batch's transaction. */
  handlers?: PostgresProjectionHandlers<TEvent> | undefined;
  /**
   * Applies a whole batch (e.g. one multi-row statement). When a batch fails, the runner calls
   * it again with one event at a time to find the failing one.
   */
  handleBatch?:
    ((events: readonly RecordedEventOf<TEvent>[], context: PostgresProjectionContext) => unknown) | undefined;
  /**
   * The event types `handleBatch` receives.
   * @default the keys of `handlers`, or every type with `handleBatch`
   */
  eventTypes?: readonly TEvent['type'][] | undefined;
  /** Only streams with this prefix. @default every stream */
  streamPrefix?: string | readonly string[] | undefined;
  /** Clears the read model for a rebuild, in the same transaction as the checkpoint's deletion. */
  reset?: ((context: PostgresProjectionContext) => unknown) | undefined;
}

/**
 * Defines a projection whose read model lives in PostgreSQL (or PGlite) and is written in the
 * runner's transaction: run it with `checkpoints: new PostgresProjectionCheckpoints(client)`,
 * and each batch's writes and its checkpoint commit together (exactly-once). Handlers get the
 * transaction as `tx`.
 *
 * @param options The name, and `handlers` per event type or one `handleBatch`.
 * @returns A `Projection` for `ProjectionRunner`.
 * @throws {ValidationError} when the name is empty, both or neither of `handlers` and
 *   `handleBatch` are given, or a handler is not a function. The projection `requiresTransaction`,
 *   so a `ProjectionRunner` refuses it without a `PostgresProjectionCheckpoints`.
 * @example
 * ```ts
 * const balances = definePostgresProjection<AccountEvent>({
 *   name: 'balances',
 *   handlers: {
 *     Deposited: (e, { tx }) =>
 *       tx.query('UPDATE bank.balances SET cents = cents + $2 WHERE id = $1', [e.streamName, e.data.cents]),
 *   },
 *   reset: ({ tx }) => tx.query('TRUNCATE bank.balances'),
 * });
 * const runner = new ProjectionRunner(store, balances, { checkpoints: new PostgresProjectionCheckpoints(client) });
 * ```
 */
export function definePostgresProjection<TEvent extends { type: string; data: unknown }>(
  options: DefinePostgresProjectionOptions<TEvent>,
): Projection {
  const { name, handleBatch, reset } = options;
  const handlers = ownHandlers(options.handlers);
  assertOptions(`definePostgresProjection "${String(name)}"`, {
    name: optionString(name, true),
    handlers:
      optionObject(options.handlers, 'an object of handlers', []) ??
      optionRule(
        (handlers === undefined) !== (handleBatch === undefined),
        'must be given, or handleBatch instead (exactly one of the two).',
      ),
    handleBatch: optionFunction(handleBatch),
    reset: optionFunction(reset),
    ...Object.fromEntries(
      [...(handlers ?? [])].map(([type, handler]) => [`handlers.${type}`, optionFunction(handler)]),
    ),
  });
  const context = (from: ProjectionContext): PostgresProjectionContext => ({
    tx: transactionOf(name, from),
    signal: from.signal,
  });
  const eventTypes = options.eventTypes ?? (handlers === undefined ? undefined : [...handlers.keys()]);
  const filter: EventFilter = {
    ...(eventTypes === undefined ? {} : { eventTypes }),
    ...(options.streamPrefix === undefined ? {} : { streamPrefix: options.streamPrefix }),
  };
  const batch = handleBatch as
    ((events: readonly RecordedEvent[], context: PostgresProjectionContext) => unknown) | undefined;
  const projection: Projection = {
    name,
    filter,
    requiresTransaction: true,
    handle: async (event, from) => {
      if (batch !== undefined) await batch([event], context(from));
      else await handlers?.get(event.type)?.(event, context(from));
    },
    ...(batch === undefined
      ? {}
      : { handleBatch: async (events, from) => void (await batch(events, context(from))) }),
  };
  return reset === undefined
    ? projection
    : { ...projection, reset: async (from) => void (await reset(context(from))) };
}

/** The handlers as a Map of own keys only (an event type named `__proto__` or `toString` finds its own). */
function ownHandlers(
  handlers: object | undefined,
): Map<string, PostgresProjectionHandler<RecordedEvent>> | undefined {
  if (handlers === undefined || handlers === null || typeof handlers !== 'object') return undefined;
  const entries = Object.entries(handlers).filter(([, handler]) => handler !== undefined);
  return new Map(entries as [string, PostgresProjectionHandler<RecordedEvent>][]);
}

/** The runner's transaction, or a clear error when the runner was not given one. */
function transactionOf(name: string, context: ProjectionContext): SqlTransaction {
  const tx = context.transaction as Partial<SqlTransaction> | undefined;
  if (tx !== undefined && tx !== null && tx.inTransaction === true && typeof tx.query === 'function') {
    return tx as SqlTransaction;
  }
  throw new ValidationError(
    [
      {
        path: ['checkpoints'],
        message: 'must be a PostgresProjectionCheckpoints so handlers get a transaction',
      },
    ],
    { subject: `ProjectionRunner options of PostgreSQL projection "${name}"` },
  );
}
