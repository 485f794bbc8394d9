import { isValidationError, parse } from '@keel/core';
import type { StandardSchemaV1, ValidationIssue } from '@keel/core';

/**
 * Validates `value` against a Standard Schema (zod, valibot, arktype …) and returns every issue
 * instead of throwing: the building block of `ValueObject.validate` overrides. Only the verdict
 * is used: schema transforms and defaults are not applied to the props, so pass already-shaped
 * props (parse untrusted input with `parse` from `@keel/core` at the boundary first).
 *
 * @param schema - A synchronous Standard Schema.
 * @param value - The value to check.
 * @returns the issues (empty when valid), with paths like `['amount']`.
 * @throws {KeelError} `SCHEMA_IS_ASYNC` when the schema validates asynchronously.
 * @example
 * ```ts
 * protected override validate(props: MoneyProps) {
 *   return schemaIssues(z.object({ amount: z.number().nonnegative(), currency: z.string().length(3) }), props);
 * }
 * ```
 */
export function schemaIssues(schema: StandardSchemaV1, value: unknown): readonly ValidationIssue[] {
  try {
    parse(schema, value);
    return [];
  } catch (error) {
    if (isValidationError(error)) return error.issues;
    throw error;
  }
}
