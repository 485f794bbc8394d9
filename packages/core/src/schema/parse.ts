import { KeelError } from '../errors/keelError.js';
import { ValidationError } from '../errors/errors.js';
import type { ValidationIssue } from '../errors/errors.js';
import type { StandardSchemaV1 } from './standardSchema.js';

/** Options of {@link parse} and {@link parseAsync}. */
export interface ParseOptions {
  /** Names what was validated in the error message, e.g. `PlaceOrder command`. @default 'value' */
  subject?: string;
}

function toIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => ({
    path: (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment)),
    message: issue.message,
  }));
}

function unwrap<TOutput>(result: StandardSchemaV1.Result<TOutput>, options: ParseOptions): TOutput {
  if (result.issues !== undefined) {
    throw new ValidationError(
      toIssues(result.issues),
      options.subject === undefined ? {} : { subject: options.subject },
    );
  }
  return result.value;
}

/**
 * Validates `value` against any Standard Schema (zod, valibot, arktype …) and returns the
 * parsed output.
 *
 * @throws {ValidationError} listing every issue the schema reported.
 * @throws {KeelError} `SCHEMA_IS_ASYNC` when the schema validates asynchronously; use {@link parseAsync}.
 * @example
 * ```ts
 * const deposit = parse(z.object({ amount: z.number().positive() }), input, { subject: 'Deposit' });
 * ```
 */
export function parse<TSchema extends StandardSchemaV1>(
  schema: TSchema,
  value: unknown,
  options: ParseOptions = {},
): StandardSchemaV1.InferOutput<TSchema> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    throw new KeelError(
      'SCHEMA_IS_ASYNC',
      'This schema validates asynchronously; call parseAsync() instead of parse().',
    );
  }
  return unwrap(result, options);
}

/**
 * Like {@link parse}, for schemas that may validate asynchronously.
 *
 * @throws {ValidationError} listing every issue the schema reported.
 */
export async function parseAsync<TSchema extends StandardSchemaV1>(
  schema: TSchema,
  value: unknown,
  options: ParseOptions = {},
): Promise<StandardSchemaV1.InferOutput<TSchema>> {
  return unwrap(await schema['~standard'].validate(value), options);
}

/** Whether `value` implements the Standard Schema v1 interface. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as Partial<StandardSchemaV1>)['~standard'];
  return (
    typeof props === 'object' && props !== null && props.version === 1 && typeof props.validate === 'function'
  );
}
