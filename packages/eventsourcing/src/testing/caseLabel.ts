import { renderValue } from '@keel/core/testing';

/**
 * A test-case value in a test name, as vitest's `%o` prints it: strings quoted, numbers as
 * JavaScript writes them (`NaN`, `-Infinity`), objects as JSON.
 */
export function caseLabel(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return renderValue(value);
}
