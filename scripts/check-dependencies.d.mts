// Types of check-dependencies.mjs, for the tests that exercise it.

/** One row of the dependency table. */
export interface DependencyRow {
  /** The @keel packages this one may depend on at run time. */
  readonly allowed: readonly string[];
  /** When set, the only external packages it may depend on at run time. */
  readonly onlyExternal?: readonly string[];
  /** Pattern packages: no runtime dependency on a database client. */
  readonly noDatabaseClient?: boolean;
}

/** A broken rule: where, and what. */
export interface DependencyViolation {
  readonly package?: string;
  readonly file: string;
  readonly line?: number;
  readonly import?: string;
  readonly message: string;
}

/** The table of DESIGN.md: which @keel packages each package may depend on at run time. */
export const DEPENDENCY_TABLE: Readonly<Record<string, DependencyRow>>;
/** Database clients, which only the adapter packages may depend on (as peers). */
export const DATABASE_CLIENTS: readonly string[];
/** The package an import specifier names (`@scope/name` or `name`), or undefined when local. */
export function packageOf(specifier: string): string | undefined;
/** The modules a TypeScript file imports, with their 1-based line and whether type-only. */
export function importsOf(
  text: string,
  fileName?: string,
): { specifier: string; line: number; typeOnly: boolean }[];
/** Why a row forbids a runtime dependency on `target`, or undefined when it allows it. */
export function forbiddenBy(row: DependencyRow, target: string): string | undefined;
/** The violations of one package.json: runtime dependencies its row forbids. */
export function checkManifest(
  name: string,
  manifest: Record<string, any>,
  row: DependencyRow,
  file?: string,
): DependencyViolation[];
/** The violations of one source file's imports; `production` says whether the file ships. */
export function checkImports(input: {
  name: string;
  manifest: Record<string, any>;
  row: DependencyRow;
  path: string;
  text: string;
  production: boolean;
  rootDevDependencies?: readonly string[];
}): DependencyViolation[];
/** Every cycle of a dependency graph, one path per cycle found (first node repeated last). */
export function findCycles(graph: ReadonlyMap<string, Iterable<string>>): string[][];
/** The source entry points of a package: the `@keel/source` targets of its `exports` map. */
export function sourceEntries(manifest: Record<string, any>): string[];
/** The file a relative import names (`./a.js` is `./a.ts` in source), or undefined. */
export function resolveRelative(
  from: string,
  specifier: string,
  exists?: (file: string) => boolean,
): string | undefined;
/** The files reachable from `entries` through relative imports (type-only ones included). */
export function reachableFiles(
  entries: readonly string[],
  read?: (file: string) => string,
  exists?: (file: string) => boolean,
): Set<string>;
/** Every violation of the packages under `root`/packages: table, declarations and cycles. */
export function checkWorkspace(root: string): DependencyViolation[];
/** One violation as a line: `file:line: message`. */
export function formatViolation(violation: DependencyViolation): string;
