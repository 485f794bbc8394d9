import type { StandardSchemaV1 } from '@keel/core';
import type { DataOf, TypeOf } from './messageMap.js';

/** Schemas keyed by command, query or event type (zod, valibot, arktype … any Standard Schema). */
export type SchemaRecord = Readonly<Record<string, StandardSchemaV1>>;

/**
 * A command or query map derived from one declaration of schemas, so types, validation and
 * handlers cannot drift apart: each type's `data` is its schema's parsed output (what handlers
 * receive after `validationMiddleware`), `input` what senders pass (the schema's input, e.g.
 * before coercion), and `result` comes from `TResults` (`void` for a type it does not name).
 *
 * @typeParam TSchemas - The schemas, usually `typeof schemas`.
 * @typeParam TResults - The handler result of each type that returns one.
 * @example
 * ```ts
 * const bankSchemas = { Deposit: z.object({ accountId: z.string(), amount: z.coerce.number().positive() }) };
 * type BankCommands = MessageMapOf<typeof bankSchemas, { Deposit: number }>;
 * const commands = createCommandBus<BankCommands>({ middleware: [validationMiddleware(bankSchemas)] });
 * commands.register('Deposit', async ({ data }) => data.amount); // data.amount: number
 * ```
 */
export type MessageMapOf<
  TSchemas extends SchemaRecord,
  TResults extends { readonly [TType in keyof TSchemas]?: unknown } = Record<never, never>,
> = {
  [TType in keyof TSchemas]: {
    readonly input: StandardSchemaV1.InferInput<TSchemas[TType]>;
    readonly data: StandardSchemaV1.InferOutput<TSchemas[TType]>;
  } & (TType extends keyof TResults ? { readonly result: TResults[TType] } : unknown);
};

/**
 * The schemas `validationMiddleware<TMap>` accepts for a map: only the map's types (another key
 * is a compile error), each with a schema whose parsed output is that type's `data`.
 */
export type SchemasFor<TMap> = {
  readonly [TType in TypeOf<TMap>]?: StandardSchemaV1<unknown, DataOf<TMap, TType>>;
};
