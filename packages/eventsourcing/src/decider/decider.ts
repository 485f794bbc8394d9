/** The smallest event shape a {@link Decider} produces: a type and its data. */
export interface DecidedEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  /** Extra metadata stored with the event. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * The functional model of an event-sourced aggregate: pure functions, no classes.
 * `decide` turns a command and the current state into new events (or throws a domain error),
 * `evolve` folds one event into the state, `initialState` is the state of an empty stream.
 *
 * @example
 * ```ts
 * const counter: Decider<{ type: 'Add'; by: number }, number, { type: 'Added'; data: { by: number } }> = {
 *   initialState: () => 0,
 *   decide: (command) => [{ type: 'Added', data: { by: command.by } }],
 *   evolve: (state, event) => state + event.data.by,
 * };
 * ```
 */
export interface Decider<TCommand, TState, TEvent extends DecidedEvent> {
  /** Returns the events the command causes given the state; throws to reject it. */
  decide(command: TCommand, state: TState): TEvent | readonly TEvent[];
  /** Returns the state after `event`; must not mutate `state` if snapshots or specs reuse it. */
  evolve(state: TState, event: TEvent): TState;
  /** The state of a stream with no events. */
  initialState(): TState;
}

/** Normalizes what `decide` returned into an array. */
export function decidedEvents<TEvent>(decided: TEvent | readonly TEvent[]): readonly TEvent[] {
  return Array.isArray(decided) ? (decided as readonly TEvent[]) : [decided as TEvent];
}
