import { throwIfAborted } from '@keel/core';
import type { InlineProjection, RecordedEvent, RecordedEventOf } from '@keel/eventsourcing';
import type { SqlTransaction } from '../../client/sqlClient.js';

/** One handler of an inline projection: writes the read model with the append's `tx`. */
export type InlineHandler<TEvent extends RecordedEvent> = (
  event: TEvent,
  tx: SqlTransaction,
  signal: AbortSignal,
) => unknown;

/** Handlers by event type; events of other types are ignored. */
export type InlineHandlers<TEvent extends { type: string; data: unknown }> = {
  readonly [TType in TEvent['type']]?: InlineHandler<RecordedEventOf<Extract<TEvent, { type: TType }>>>;
};

/** Options of {@link defineInlineProjection}. */
export interface DefineInlineProjectionOptions<TEvent extends { type: string; data: unknown }> {
  /** The projection's name, used in errors. */
  name: string;
  /**
   * A handler per event type it reacts to: the object's own keys, so any type works,
   * `constructor` and `toString` included (write a `__proto__` handler as a computed key,
   * `['__proto__']: …`).
   */
  handlers: InlineHandlers<TEvent>;
}

/**
 * Defines a projection for `PostgresEventStore`'s `inlineProjections`: its handlers run inside
 * the append's transaction with the same `tx`, in event order, so the read model and the events
 * commit together; if a handler throws, the append is rolled back and rejects with that error.
 *
 * Use only `tx` inside a handler (on PGlite another client call would wait for the
 * transaction and deadlock).
 *
 * @param options The name and handlers.
 * @returns An inline projection.
 * @example
 * ```ts
 * const balances = defineInlineProjection<AccountEvent>({
 *   name: 'balances',
 *   handlers: { Deposited: (e, tx) => tx.query('UPDATE bank.balances SET cents = cents + $2 WHERE id = $1', [e.streamName, e.data.cents]) },
 * });
 * const store = new PostgresEventStore(client, { inlineProjections: [balances] });
 * ```
 */
export function defineInlineProjection<TEvent extends { type: string; data: unknown }>(
  options: DefineInlineProjectionOptions<TEvent>,
): InlineProjection<SqlTransaction> {
  // Own keys only, copied into a Map: an event type such as `__proto__` or `constructor` must find
  // its own handler or none, never one inherited from Object.prototype.
  const handlers = new Map<string, InlineHandler<RecordedEvent>>();
  for (const [type, handler] of Object.entries(options.handlers as Readonly<Record<string, unknown>>)) {
    if (typeof handler === 'function') handlers.set(type, handler as InlineHandler<RecordedEvent>);
  }
  return {
    name: options.name,
    async apply(events, { transaction, signal }) {
      for (const event of events) {
        throwIfAborted(signal);
        await handlers.get(event.type)?.(event, transaction, signal);
      }
    },
  };
}
