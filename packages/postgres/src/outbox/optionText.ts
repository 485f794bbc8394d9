import { isSerializationError, optionString, toStorableJson } from '@keel/core';
import type { OptionProblem } from '@keel/core';

/**
 * Checks a name kept in a `text` column (topic, relay id, consumer): a non-empty string that
 * PostgreSQL can hold, so no NUL character or lone surrogate. `undefined` passes unless `required`.
 */
export function optionText(value: unknown, required = false): OptionProblem {
  const problem = optionString(value, required);
  if (problem !== undefined || value === undefined) return problem;
  try {
    toStorableJson(value, 'the name');
    return undefined;
  } catch (error) {
    if (!isSerializationError(error)) throw error;
    return `must not contain a NUL character or a lone surrogate, which PostgreSQL cannot store (got ${JSON.stringify(value)}).`;
  }
}
