import type { Command, DomainEvent, Message, Query } from '@keel/core';
import type { MessageContext } from '../middleware/middleware.js';

/**
 * What one command or query type carries: its `data` (what handlers receive), optionally what
 * senders pass when it differs (`input`, e.g. before a schema coerces it), and (optionally) its
 * handler's `result`.
 */
export interface MessageSpec {
  readonly data: unknown;
  readonly input?: unknown;
  readonly result?: unknown;
}

/**
 * Maps command or query types to their {@link MessageSpec}.
 *
 * @example
 * ```ts
 * interface BankCommands {
 *   OpenAccount: { data: { owner: string }; result: { accountId: string } };
 *   Deposit: { data: { accountId: string; amount: number } }; // result: void
 * }
 * const commands = createCommandBus<BankCommands>();
 * ```
 */
export type MessageMap<TMap> = { [TType in keyof TMap]: MessageSpec };

/** The map used when none is given: any type, unknown data and result. */
export type AnyMessageMap = Record<string, { data: unknown; result: unknown }>;

/** Maps event types to their data. */
export type EventMap<TMap> = { [TType in keyof TMap]: unknown };

/** The event map used when none is given: any type, unknown data. */
export type AnyEventMap = Record<string, unknown>;

/** The type names of a map. */
export type TypeOf<TMap> = keyof TMap & string;

/** The data of type `TType` in a message map. */
export type DataOf<TMap, TType extends keyof TMap> = TMap[TType] extends { readonly data: infer TData }
  ? TData
  : never;

/** What senders pass as the data of type `TType`: its `input` when the spec has one, else its `data`. */
export type InputOf<TMap, TType extends keyof TMap> = TMap[TType] extends { readonly input: infer TInput }
  ? TInput
  : DataOf<TMap, TType>;

/** The result of type `TType` in a message map; `void` when the spec names none. */
export type ResultFor<TMap, TType extends keyof TMap> = TMap[TType] extends { readonly result: infer TResult }
  ? TResult
  : void;

/** The command of type `TType` in a command map. */
export type CommandFor<TMap, TType extends TypeOf<TMap>> = Command<
  TType,
  DataOf<TMap, TType>,
  ResultFor<TMap, TType>
>;

/** The query of type `TType` in a query map. */
export type QueryFor<TMap, TType extends TypeOf<TMap>> = Query<
  TType,
  DataOf<TMap, TType>,
  ResultFor<TMap, TType>
>;

/** The event of type `TType` in an event map. */
export type EventFor<TMap, TType extends TypeOf<TMap>> = DomainEvent<TType, TMap[TType]>;

/** The union of every event of an event map. */
export type AnyEventOf<TMap> = { [TType in TypeOf<TMap>]: EventFor<TMap, TType> }[TypeOf<TMap>];

/** What a command, query or event handler receives besides the message. */
export type HandlerContext<TMessage extends Message = Message> = MessageContext<TMessage>;

/**
 * Handles one message type and returns its result.
 *
 * @example
 * ```ts
 * const handler: Handler<CommandFor<BankCommands, 'Deposit'>, void> = async (command, { signal }) => { … };
 * ```
 */
export type Handler<TMessage extends Message, TResult> = (
  message: TMessage,
  context: HandlerContext<TMessage>,
) => TResult | PromiseLike<TResult>;
