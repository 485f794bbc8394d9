import {
  assertOptions,
  describeValue,
  optionBoolean,
  optionRule,
  parse,
  parseAsync,
  ValidationError,
  withDefaults,
} from '@keel/core';
import type { Message, StandardSchemaV1 } from '@keel/core';
import { withInlineStep } from '../dispatch/compose.js';
import type { AnyMessageMap } from '../messages/messageMap.js';
import type { SchemasFor } from '../messages/schemaMap.js';
import type { MessageContext, Middleware, Next } from './middleware.js';

/** Schemas by message type, or a function that picks the schema of a message. */
export type SchemaSource =
  Readonly<Partial<Record<string, StandardSchemaV1>>> | ((message: Message) => StandardSchemaV1 | undefined);

/** Options of {@link validationMiddleware}; an option that is `undefined` keeps its default. */
export interface ValidationMiddlewareOptions {
  /**
   * Whether a message whose type has no schema is rejected (with a `ValidationError`) instead
   * of passing unchecked.
   * @default false
   */
  requireSchema?: boolean | undefined;
}

/** The defaults of {@link ValidationMiddlewareOptions}. */
export const VALIDATION_DEFAULTS = Object.freeze({ requireSchema: false });

/**
 * Validates each message's `data` against the schema of its type (any Standard Schema: zod,
 * valibot, arktype …) and hands the parsed data on. An invalid message is rejected with a
 * `ValidationError` listing every issue and reaches no handler.
 *
 * Give the bus's map as `TMap` (or derive the map from the schemas with `MessageMapOf`) and a
 * schema for a type the map does not have, or whose parsed output is not that type's `data`,
 * is a compile error.
 *
 * @typeParam TMap - The command or query map the schemas must match. @default any type, any data
 * @param schemas Schemas keyed by message type, or a function returning a message's schema.
 * @throws {ValidationError} at construction when `schemas` or an option is of the wrong kind,
 *   and from the pipeline when a message is invalid.
 * @example
 * ```ts
 * const commands = createCommandBus({
 *   middleware: [validationMiddleware<BankCommands>({ Deposit: z.object({ amount: z.number().positive() }) })],
 * });
 * ```
 */
export function validationMiddleware<TMap = AnyMessageMap>(
  schemas: SchemasFor<NoInfer<TMap>> | ((message: Message) => StandardSchemaV1 | undefined),
  options: ValidationMiddlewareOptions = {},
): Middleware {
  const { requireSchema } = withDefaults(VALIDATION_DEFAULTS, options);
  assertOptions('validationMiddleware', {
    schemas: optionRule(
      typeof schemas === 'function' || (typeof schemas === 'object' && schemas !== null),
      `is required: schemas by message type, or a function returning a message's schema (got ${describeValue(schemas)}).`,
    ),
    requireSchema: optionBoolean(requireSchema),
  });
  const byType = schemas as SchemaSource;
  const schemaOf = typeof byType === 'function' ? byType : ownSchemaOf(byType);
  const validation: Middleware = (context, next) => {
    const { message } = context;
    const schema = schemaOf(message);
    if (schema === undefined) {
      if (!requireSchema) return next();
      return Promise.reject(missingSchema(context));
    }
    try {
      return validated(schema, context, next);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  // In a composed pipeline a synchronous schema is one plain call: parse, then hand the data on.
  return withInlineStep(validation, (context) => {
    const schema = schemaOf(context.message);
    if (schema === undefined) {
      if (!requireSchema) return context.message;
      throw missingSchema(context);
    }
    return validatedNow(schema, context);
  });
}

/** The error for a message whose type has no schema, when one is required. */
/**
 * Looks a message's schema up among the record's own keys (never `constructor` or `toString`
 * from its prototype). The last type found is remembered with its schema and taken again while
 * the record still holds that schema under it: `Object.hasOwn` costs several times the lookup,
 * and a bus mostly sees one type after another of a few.
 */
function ownSchemaOf(
  byType: Readonly<Partial<Record<string, StandardSchemaV1>>>,
): (message: Message) => StandardSchemaV1 | undefined {
  let lastType: string | undefined;
  let lastSchema: StandardSchemaV1 | undefined;
  return ({ type }) => {
    const schema = byType[type];
    if (type === lastType && schema === lastSchema) return schema;
    if (!Object.hasOwn(byType, type)) return undefined;
    lastType = type;
    lastSchema = schema;
    return schema;
  };
}

function missingSchema(context: MessageContext): ValidationError {
  const issues = [{ path: [], message: 'no schema is registered for this type' }];
  return new ValidationError(issues, { subject: subjectOf(context) });
}

/** Schemas seen to validate asynchronously; they skip the synchronous attempt from then on. */
const asyncSchemas = new WeakSet<StandardSchemaV1>();
let lastSyncSchema: StandardSchemaV1 | undefined;

/**
 * Validates `context.message` and runs `next` with the parsed data: synchronously when the schema
 * allows it (no promise beyond the handler's), else asynchronously.
 *
 * @throws {ValidationError} listing every issue, when a synchronous schema refuses the data.
 */
function validated(schema: StandardSchemaV1, context: MessageContext, next: Next): Promise<unknown> {
  const { message } = context;
  const parsed = validatedNow(schema, context);
  if (parsed !== undefined) return next({ message: parsed });
  return parseAsync(schema, message.data, { subject: subjectOf(context) }).then((data) =>
    next({ message: withData(message, data) }),
  );
}

/**
 * The message with its data parsed, when `schema` validates synchronously; `undefined` when it
 * validates asynchronously (it is remembered, and skips the synchronous attempt from then on).
 *
 * @throws {ValidationError} listing every issue, when a synchronous schema refuses the data.
 */
function validatedNow(schema: StandardSchemaV1, context: MessageContext): Message | undefined {
  // The last schema seen to validate synchronously skips the WeakSet lookup: a burst of one type.
  if (schema !== lastSyncSchema && asyncSchemas.has(schema)) return undefined;
  const { message } = context;
  const result = schema['~standard'].validate(message.data);
  if (result instanceof Promise) {
    result.catch(() => {}); // validated again asynchronously, where a rejection is reported
    asyncSchemas.add(schema);
    if (lastSyncSchema === schema) lastSyncSchema = undefined;
    return undefined;
  }
  lastSyncSchema = schema;
  if (result.issues === undefined) return withData(message, result.value);
  // Refused: core's parse builds (and throws) the error; the schema runs again on failures only.
  return withData(message, parse(schema, message.data, { subject: subjectOf(context) }));
}

/** The message with parsed data; a literal, not a spread: spreading is several times slower here. */
function withData(message: Message, data: unknown): Message {
  return Object.freeze({ type: message.type, data, metadata: message.metadata });
}

/** What a validation error names, e.g. `Deposit command`. */
function subjectOf(context: MessageContext): string {
  return `${context.message.type} ${context.kind}`;
}
