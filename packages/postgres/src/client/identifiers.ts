import { InvalidIdentifierError } from '../errors.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks that `name` is a plain lowercase SQL identifier (1–63 of `a-z`, `0-9`, `_`, not
 * starting with a digit) and returns it.
 *
 * @throws {InvalidIdentifierError} when it is not.
 */
export function assertIdentifier(name: unknown, kind = 'identifier'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new InvalidIdentifierError(kind, name);
  return name;
}

/**
 * Quotes a validated identifier for SQL text: `keel` → `"keel"`.
 *
 * @throws {InvalidIdentifierError} when `name` is not a plain lowercase identifier.
 */
export function quoteIdentifier(name: string, kind = 'identifier'): string {
  return `"${assertIdentifier(name, kind)}"`;
}

/**
 * A validated schema name with helpers to build qualified, quoted table names. Every store
 * takes one, so all of Keel's tables live in one schema (default `keel`).
 *
 * @example
 * ```ts
 * const schema = sqlSchema('keel');
 * await client.query(`SELECT * FROM ${schema.table('sagas')}`); // "keel"."sagas"
 * ```
 */
export interface SqlSchema {
  /** The schema name as given, e.g. `keel`. */
  readonly name: string;
  /** The quoted schema name, e.g. `"keel"`. */
  readonly quoted: string;
  /** The quoted, schema-qualified name of `table`, e.g. `"keel"."sagas"`. */
  table(table: string): string;
}

/**
 * Builds a {@link SqlSchema} after validating `name`.
 *
 * @param name The schema name. @default 'keel'
 * @throws {InvalidIdentifierError} when `name` (or a table name later) is not a plain lowercase identifier.
 */
export function sqlSchema(name = 'keel'): SqlSchema {
  const quoted = quoteIdentifier(name, 'schema name');
  return Object.freeze({
    name,
    quoted,
    table: (table: string) => `${quoted}.${quoteIdentifier(table, 'table name')}`,
  });
}
