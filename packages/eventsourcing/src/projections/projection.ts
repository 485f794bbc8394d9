import type { EventFilter } from '../eventStore/eventStore.js';
import type { RecordedEvent, RecordedEventOf } from '../eventStore/recordedEvent.js';

/** What a projection handler receives besides the event. */
export interface ProjectionContext {
  /** Aborted when the runner stops or a policy (e.g. a timeout) gives up on this call. */
  readonly signal: AbortSignal;
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
  /** Applies one event to the read model. */
  handle(event: RecordedEvent, context: ProjectionContext): Promise<void> | void;
  /** Clears the read model; `rebuild()` calls it before replaying from position 0. */
  reset?(context: ProjectionContext): Promise<void> | void;
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
  /** One handler per event type; the projection subscribes to exactly these types. */
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
  const handlers = options.handlers as Readonly<
    Record<string, ((event: RecordedEvent, context: ProjectionContext) => Promise<void> | void) | undefined>
  >;
  const eventTypes = Object.keys(handlers).filter((type) => typeof handlers[type] === 'function');
  const filter: EventFilter =
    options.streamPrefix === undefined ? { eventTypes } : { eventTypes, streamPrefix: options.streamPrefix };
  const projection: Projection = {
    name: options.name,
    filter,
    handle: (event, context) => handlers[event.type]?.(event, context),
  };
  const reset = options.reset;
  return reset === undefined ? projection : { ...projection, reset: (context) => reset(context) };
}
