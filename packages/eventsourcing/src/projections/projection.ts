import type { EventFilter } from '../eventStore/eventStore.js';
import type { RecordedEvent, RecordedEventOf } from '../eventStore/recordedEvent.js';

/** What a projection handler receives besides the event. */
export interface ProjectionContext {
  /** Aborted when the runner stops or a policy (e.g. a timeout) gives up on this call. */
  readonly signal: AbortSignal;
  /**
   * The transaction the runner opened for this batch, when its checkpoint store is a
   * `TransactionalCheckpointStore` (e.g. a `SqlTransaction` from `@keel/postgres`): write the
   * read model with it and the writes commit with the checkpoint. `undefined` otherwise.
   */
  readonly transaction?: unknown;
}

/**
 * A read model fed by events. Delivery is at-least-once (an event may be handled again after
 * a crash between the handler and the checkpoint), so `handle` must be idempotent: upsert by
 * key, or remember the last global position applied.
 */
export interface Projection {
  /** The name its checkpoint and dead letters are kept under. Stable across deployments. */
  readonly name: string;
  /** Only these events are delivered (the store filters them, so skipping costs nothing). */
  readonly filter?: EventFilter;
  /**
   * Applies one event to the read model. The runner calls it for each event of a batch when
   * there is no {@link Projection.handleBatch}, and to find the failing event when a batch fails.
   */
  handle(event: RecordedEvent, context: ProjectionContext): Promise<void> | void;
  /**
   * Applies a batch of events (in global order, at most the runner's `batchSize`) at once, e.g.
   * one multi-row upsert. Optional: without it the runner calls {@link Projection.handle} per
   * event. Either way the runner saves one checkpoint per batch. When a batch fails, the runner
   * handles its events one by one with `handle`, so the failing event is the one dead-lettered.
   */
  handleBatch?(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> | void;
  /** Clears the read model; `rebuild()` calls it before replaying from position 0. */
  reset?(context: ProjectionContext): Promise<void> | void;
  /**
   * Whether the handlers need `context.transaction`: the runner then refuses, at construction,
   * checkpoints that are not a `TransactionalCheckpointStore`. @default false
   */
  readonly requiresTransaction?: boolean;
}

/** The handlers of {@link defineProjection}: one per event type it cares about. */
export type ProjectionHandlers<TEvent extends { type: string; data: unknown }> = {
  readonly [TType in TEvent['type']]?: (
    event: RecordedEventOf<Extract<TEvent, { type: TType }>>,
    context: ProjectionContext,
  ) => Promise<void> | void;
};

/** Options of {@link defineProjection}. */
export interface DefineProjectionOptions<TEvent extends { type: string; data: unknown }> {
  /** See {@link Projection.name}. */
  name: string;
  /**
   * One handler per event type; the projection subscribes to exactly these types. Handlers are
   * the object's own keys, so any type works, `constructor` and `toString` included (write a
   * `__proto__` handler as a computed key, `['__proto__']: …`, as a plain `__proto__:` key sets
   * the object's prototype instead).
   */
  handlers: ProjectionHandlers<TEvent>;
  /** Only streams with this prefix. @default every stream */
  streamPrefix?: string | readonly string[];
  /** See {@link Projection.reset}. */
  reset?: (context: ProjectionContext) => Promise<void> | void;
}

/**
 * Builds a {@link Projection} from typed per-event handlers; its filter lists exactly the
 * handled types.
 *
 * @example
 * ```ts
 * const balances = defineProjection<AccountEvent>({
 *   name: 'balances',
 *   handlers: { Deposited: (event) => add(event.streamName, event.data.amount) },
 * });
 * ```
 */
export function defineProjection<TEvent extends { type: string; data: unknown }>(
  options: DefineProjectionOptions<TEvent>,
): Projection {
  type Handler = (event: RecordedEvent, context: ProjectionContext) => Promise<void> | void;
  // Own keys only, copied into a Map: an event type such as `__proto__`, `constructor` or
  // `toString` must find its own handler or none, never one inherited from Object.prototype.
  const handlers = new Map<string, Handler>();
  for (const [type, handler] of Object.entries(options.handlers as Readonly<Record<string, unknown>>)) {
    if (typeof handler === 'function') handlers.set(type, handler as Handler);
  }
  const eventTypes = [...handlers.keys()];
  const filter: EventFilter =
    options.streamPrefix === undefined ? { eventTypes } : { eventTypes, streamPrefix: options.streamPrefix };
  const projection: Projection = {
    name: options.name,
    filter,
    handle: (event, context) => handlers.get(event.type)?.(event, context),
  };
  const reset = options.reset;
  return reset === undefined ? projection : { ...projection, reset: (context) => reset(context) };
}
