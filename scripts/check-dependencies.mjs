// Checks the dependency table of docs (DESIGN.md, "Packages and their dependency rules") against
// the code: every import of packages/*/src/**/*.ts and every package.json.
//
// Rules:
// - Production source is what ships: the files reachable through relative imports from the
//   entry points of the package's `exports` map (its `@keel/source` condition), so src/testing/
//   counts. It may import a @keel package only when its row allows it, and any package only when
//   package.json declares it in dependencies, peerDependencies or optionalDependencies.
//   `import type` counts like any import: the published declarations keep it, so a user's
//   compiler needs the package too.
// - Every other file of src/ is test code (tests, fixtures, suites, snippets): it may also import
//   the package's devDependencies and the root package.json's devDependencies (vitest,
//   fast-check), and is not bound by the table, because it does not ship.
// - A package.json may declare a runtime dependency (dependencies, peer or optional) on a @keel
//   package only when its row allows it; the pattern packages declare no database client; core
//   declares nothing but `uuid`.
// - The runtime graph (declared runtime dependencies plus production imports) has no cycle.
// Node built-ins, relative imports and `#` subpath imports are not checked. Exits 1 and lists
// every violation with its file, line and import.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const patternRow = (...allowed) => ({ allowed, noDatabaseClient: true });

/** The table of DESIGN.md: which @keel packages each package may depend on at run time. */
export const DEPENDENCY_TABLE = Object.freeze({
  '@keel/core': { allowed: [], onlyExternal: ['uuid'] },
  '@keel/ddd': patternRow('@keel/core'),
  '@keel/eventsourcing': patternRow('@keel/core', '@keel/ddd'),
  '@keel/cqrs': patternRow('@keel/core'),
  '@keel/saga': patternRow('@keel/core'),
  '@keel/resilience': patternRow('@keel/core'),
  '@keel/scaling': patternRow('@keel/core'),
  '@keel/postgres': {
    allowed: ['@keel/core', '@keel/eventsourcing', '@keel/cqrs', '@keel/saga'],
  },
  '@keel/redis': { allowed: ['@keel/core', '@keel/scaling', '@keel/resilience'] },
  '@keel/nats': { allowed: ['@keel/core', '@keel/cqrs'] },
  // "core and the packages it instruments": every other package of the table.
  '@keel/opentelemetry': {
    allowed: [
      '@keel/core',
      '@keel/ddd',
      '@keel/eventsourcing',
      '@keel/cqrs',
      '@keel/saga',
      '@keel/resilience',
      '@keel/scaling',
      '@keel/postgres',
      '@keel/redis',
      '@keel/nats',
      '@keel/http',
    ],
  },
  '@keel/http': {
    allowed: ['@keel/core', '@keel/resilience', '@keel/scaling', '@keel/cqrs'],
  },
});

/** Database clients, which only the adapter packages may depend on (as peers). */
export const DATABASE_CLIENTS = Object.freeze([
  'pg',
  '@electric-sql/pglite',
  'ioredis',
  'redis',
  'nats',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
]);

const RUNTIME_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
/** The package an import specifier names (`@scope/name` or `name`), or undefined when local. */
export function packageOf(specifier) {
  if (/^[./#]/.test(specifier) || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

function moduleSpecifierOf(node) {
  if (ts.isImportDeclaration(node)) return [node.moduleSpecifier, !!node.importClause?.isTypeOnly];
  if (ts.isExportDeclaration(node) && node.moduleSpecifier) return [node.moduleSpecifier, node.isTypeOnly];
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
    return [node.moduleReference.expression, node.isTypeOnly];
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return [node.argument.literal, true];
  const dynamic =
    ts.isCallExpression(node) &&
    (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isIdentifier(node.expression) && node.expression.text === 'require'));
  if (dynamic && node.arguments[0]) return [node.arguments[0], false];
  return undefined;
}

/**
 * The modules a TypeScript file imports, re-exports, `import()`s or `require()`s, with their
 * 1-based line and whether the import is type-only.
 */
export function importsOf(text, fileName = 'file.ts') {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found = [];
  const visit = (node) => {
    const match = moduleSpecifierOf(node);
    if (match && ts.isStringLiteralLike(match[0])) {
      const line = source.getLineAndCharacterOfPosition(match[0].getStart(source)).line + 1;
      found.push({ specifier: match[0].text, line, typeOnly: match[1] });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function namesIn(manifest, fields) {
  return new Set(fields.flatMap((field) => Object.keys(manifest[field] ?? {})));
}

/** Why a package's row forbids a runtime dependency on `target`, or undefined when it allows it. */
export function forbiddenBy(row, target) {
  if (target.startsWith('@keel/')) {
    if (row.allowed.includes(target)) return undefined;
    const allowed = row.allowed.length > 0 ? row.allowed.join(', ') : 'no package of ours';
    return `its row of the dependency table allows ${allowed}`;
  }
  if (row.onlyExternal && !row.onlyExternal.includes(target))
    return `its row allows no external package but ${row.onlyExternal.join(', ')}`;
  if (row.noDatabaseClient && DATABASE_CLIENTS.includes(target))
    return 'a pattern package has no runtime dependency on a database client; adapters take it as a peer';
  return undefined;
}

/** The violations of one package.json: runtime dependencies its row forbids. */
export function checkManifest(name, manifest, row, file = 'package.json') {
  const violations = [];
  for (const field of RUNTIME_FIELDS) {
    for (const target of Object.keys(manifest[field] ?? {})) {
      const reason = forbiddenBy(row, target);
      if (reason)
        violations.push({
          file,
          message: `${field} lists "${target}", but ${name} may not depend on it: ${reason}.`,
        });
    }
  }
  return violations;
}

/**
 * The violations of one source file's imports (`path` relative to the package folder);
 * `production` says whether the file ships.
 */
export function checkImports({ name, manifest, row, path, text, production, rootDevDependencies = [] }) {
  const test = !production;
  const runtime = namesIn(manifest, RUNTIME_FIELDS);
  const dev = new Set([...namesIn(manifest, ['devDependencies']), ...rootDevDependencies]);
  const violations = [];
  for (const { specifier, line, typeOnly } of importsOf(text, path)) {
    const target = packageOf(specifier);
    if (!target || target === name) continue;
    const where = { file: path, line, import: specifier };
    const kind = typeOnly ? 'a type-only import' : 'an import';
    const reason = test ? undefined : forbiddenBy(row, target);
    if (reason)
      violations.push({
        ...where,
        message: `${kind} of "${specifier}", which ${name} may not depend on: ${reason}.`,
      });
    else if (!runtime.has(target) && !(test && dev.has(target)))
      violations.push({
        ...where,
        message: `${kind} of "${specifier}", but ${name} does not declare "${target}" in ${test ? 'any dependency field' : 'dependencies or peerDependencies'}.`,
      });
  }
  return violations;
}

/** Every cycle of a dependency graph (`Map<name, Set<name>>`), one path per cycle found. */
export function findCycles(graph) {
  const cycles = [];
  const state = new Map(); // undefined: unvisited, 1: on the path, 2: done
  const path = [];
  const visit = (node) => {
    state.set(node, 1);
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 2);
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return cycles;
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(c|m)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The source entry points of a package: the `@keel/source` targets of its `exports` map. */
export function sourceEntries(manifest) {
  const entries = [];
  const walk = (value) => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, target] of Object.entries(value)) {
      if (key === '@keel/source' && typeof target === 'string') entries.push(target);
      else walk(target);
    }
  };
  walk(manifest.exports);
  return entries;
}

/** The file a relative import names (`./a.js` is `./a.ts` in source), or undefined. */
export function resolveRelative(from, specifier, exists = existsSync) {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(c|m)?js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')];
  return candidates.find((file) => /\.(c|m)?tsx?$/.test(file) && exists(file));
}

/** The files reachable from `entries` through relative imports (type-only ones included). */
export function reachableFiles(entries, read = (file) => readFileSync(file, 'utf8'), exists = existsSync) {
  const seen = new Set();
  const pending = entries.filter((file) => exists(file));
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { specifier } of importsOf(read(file), file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveRelative(file, specifier, exists);
      if (target && !seen.has(target)) pending.push(target);
    }
  }
  return seen;
}

function checkPackage(root, dir, rootDevDependencies, graph) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const { name } = manifest;
  const at = (violation) => ({
    package: name,
    ...violation,
    file: relative(root, join(dir, violation.file)),
  });
  const row = DEPENDENCY_TABLE[name];
  if (!row)
    return [
      at({
        file: 'package.json',
        message: `${name} has no row in the dependency table of scripts/check-dependencies.mjs (add it, as DESIGN.md does).`,
      }),
    ];
  const edges = new Set(
    [...namesIn(manifest, RUNTIME_FIELDS)].filter((target) => target.startsWith('@keel/')),
  );
  const shipped = reachableFiles(sourceEntries(manifest).map((entry) => join(dir, entry)));
  const violations = checkManifest(name, manifest, row).map(at);
  for (const file of sourceFiles(join(dir, 'src'))) {
    const path = relative(dir, file);
    const text = readFileSync(file, 'utf8');
    const production = shipped.has(file);
    violations.push(
      ...checkImports({ name, manifest, row, path, text, production, rootDevDependencies }).map(at),
    );
    if (!production) continue;
    for (const { specifier } of importsOf(text, path)) {
      const target = packageOf(specifier);
      if (target?.startsWith('@keel/') && target !== name) edges.add(target);
    }
  }
  graph.set(name, edges);
  return violations;
}

/** Every violation of the packages under `root`/packages: table, declarations and cycles. */
export function checkWorkspace(root) {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const rootDevDependencies = Object.keys(rootManifest.devDependencies ?? {});
  const packagesDir = join(root, 'packages');
  const graph = new Map();
  const violations = readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'package.json')))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => checkPackage(root, join(packagesDir, entry.name), rootDevDependencies, graph));
  for (const cycle of findCycles(graph)) {
    violations.push({
      package: cycle[0],
      file: 'packages',
      message: `the packages depend on each other in a cycle: ${cycle.join(' -> ')}.`,
    });
  }
  return violations;
}

/** One violation as a line: `file:line: message`. */
export function formatViolation({ file, line, message }) {
  return `${file}${line ? `:${line}` : ''}: ${message}`;
}

function main() {
  const root = join(import.meta.dirname, '..');
  const violations = checkWorkspace(root);
  if (violations.length === 0) {
    console.log(
      `Dependency rules hold for every package (${Object.keys(DEPENDENCY_TABLE).length} rows, no cycle).`,
    );
    return;
  }
  for (const violation of violations) console.error(formatViolation(violation));
  console.error(
    `\n${violations.length} dependency rule violation(s); see DESIGN.md "Packages and their dependency rules".`,
  );
  process.exitCode = 1;
}

if (process.argv[1] === import.meta.filename) main();
