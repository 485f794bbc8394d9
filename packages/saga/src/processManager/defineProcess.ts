import type { Message } from '@keel/core';
import { assertOptions, optionFunction, optionRule } from '@keel/core';
import { SagaConfigError } from '../errors/errors.js';
import { optionStorableText } from '../internal/storableText.js';

/**
 * What a handler decides for one event: the new state, the commands to send, whether the
 * process is done, or `'defer'` when the event came too early (it is kept and offered again
 * after each later event, so out-of-order events are not lost).
 */
export type ProcessReaction<TState, TCommand extends Message> =
  | {
      /** The new state. @default the state unchanged */
      readonly state?: TState;
      /** Commands to send, stored with the state before they are sent. @default none */
      readonly commands?: readonly TCommand[];
      /** Ends the process: later events for it are ignored. @default false */
      readonly complete?: boolean;
    }
  | 'defer';

/** What a handler gets besides the state and the event. */
export interface ProcessHandlerContext {
  readonly correlationId: string;
  /** The clock's time, for deadlines kept in the state. */
  readonly now: number;
}

/** The state machine: one pure, synchronous handler per event type. */
export type ProcessHandlers<TState, TEvent extends Message, TCommand extends Message> = {
  readonly [TType in TEvent['type']]?: (
    state: TState,
    event: Extract<TEvent, { readonly type: TType }>,
    context: ProcessHandlerContext,
  ) => ProcessReaction<TState, TCommand>;
};

/** A process manager (choreography): how events find an instance and how its state machine reacts. */
export interface ProcessDefinition<TState, TEvent extends Message, TCommand extends Message> {
  /** A stable name, stored with every instance. */
  readonly name: string;
  /** The instance an event belongs to (e.g. its order id), or `undefined` to ignore the event. */
  readonly correlate: (event: TEvent) => string | undefined;
  /** The state of a new instance, created by whichever of its events arrives first. */
  readonly initialState: (correlationId: string) => TState;
  /** The handlers; event types without one are recorded in the inbox and otherwise ignored. */
  readonly on: ProcessHandlers<TState, TEvent, TCommand>;
}

/**
 * Defines a process manager; pass the state, event and command types explicitly.
 *
 * @throws {SagaConfigError} when the name is empty (or has a NUL character or lone surrogate).
 * @throws {ValidationError} when `correlate` or `initialState` is not a function or `on` not an object.
 * @example
 * ```ts
 * const fulfilment = defineProcess<State, OrderEvent, OrderCommand>({
 *   name: 'fulfilment',
 *   correlate: (event) => event.data.orderId,
 *   initialState: () => ({ paid: false, reserved: false }),
 *   on: {
 *     PaymentCaptured: (state, event) => ship({ ...state, paid: true }, event),
 *     InventoryReserved: (state, event) => ship({ ...state, reserved: true }, event),
 *   },
 * });
 * ```
 */
export function defineProcess<TState, TEvent extends Message, TCommand extends Message>(
  definition: ProcessDefinition<TState, TEvent, TCommand>,
): ProcessDefinition<TState, TEvent, TCommand> {
  const problem = optionStorableText(definition?.name, true);
  if (problem !== undefined) throw new SagaConfigError(`A process manager name ${problem}`);
  const { on } = definition;
  assertOptions(`process manager "${definition.name}"`, {
    correlate: optionFunction(definition.correlate, true),
    initialState: optionFunction(definition.initialState, true),
    on: optionRule(
      on !== null &&
        typeof on === 'object' &&
        Object.values(on).every((handler) => typeof handler === 'function' || handler === undefined),
      'must be an object of handler functions by event type.',
    ),
  });
  return Object.freeze({ ...definition, on: Object.freeze({ ...definition.on }) });
}
