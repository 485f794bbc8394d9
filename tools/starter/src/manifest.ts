/** The fields of a package.json the starter reads or writes. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  type?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  overrides?: Record<string, string>;
  engines?: Record<string, string>;
  [field: string]: unknown;
}

/** What the starter knows about the monorepo when it rewrites an example's package.json. */
export interface Workspace {
  /** The published `@keel/*` packages by name. */
  readonly packages: ReadonlyMap<string, PackageJson>;
  /** Private workspace packages (under tools/) an example may use, by name, with their folder. */
  readonly tools: ReadonlyMap<string, string>;
  /** The root package.json: versions of the tools every starter lists, and `engines`. */
  readonly root: PackageJson;
}

/** How the `@keel/*` dependencies of a starter are written. */
export type KeelSource =
  | { readonly kind: 'registry' }
  /** Tarball paths relative to the starter (`vendor/keel-core-0.1.0.tgz`), by package name. */
  | { readonly kind: 'local'; readonly tarballs: ReadonlyMap<string, string> };

/** The starter's package.json and the private workspace tools it must copy in. */
export interface StarterManifest {
  readonly manifest: PackageJson;
  /** Private tools to copy into the starter: package name → folder inside the starter. */
  readonly localTools: ReadonlyMap<string, string>;
  /** The `@keel/*` packages the starter needs, its direct dependencies and theirs. */
  readonly keelPackages: readonly string[];
}

/** Tools every starter lists as devDependencies, with their versions taken from the root. */
export const STARTER_TOOLS = ['tsx', 'typescript', 'vitest', '@types/node'] as const;

/**
 * Optional peers that are database drivers chosen at run time (embedded PGlite, or `pg` when a
 * URL is given): a starter that uses the package gets both, so either choice works.
 */
const DRIVER_PEERS = new Set(['pg', '@electric-sql/pglite']);

/** The flag that makes tsx and Node read a package's TypeScript source; monorepo only. */
const SOURCE_CONDITION = /\s*--conditions[= ]@keel\/source\b/g;

/** A script with the monorepo-only `--conditions=@keel/source` flag removed. */
export function withoutSourceCondition(script: string): string {
  return script.replace(SOURCE_CONDITION, '');
}

/** `@keel/*` packages reachable from `names` through their dependencies, sorted. */
export function keelClosure(names: Iterable<string>, packages: ReadonlyMap<string, PackageJson>): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const pkg = packages.get(name);
    if (!pkg) return;
    seen.add(name);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  for (const name of names) visit(name);
  return [...seen].sort();
}

/** A range for a published version: `^1.2.3`. */
function caretRange(version: string): string {
  return `^${version}`;
}

/** The package name a starter made in folder `dir` gets: its folder name, made npm-safe. */
export function starterName(dir: string): string {
  const base = dir.split(/[\\/]/).filter(Boolean).pop() ?? 'keel-starter';
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name || 'keel-starter';
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

function keelSpec(name: string, workspace: Workspace, source: KeelSource): string {
  const pkg = workspace.packages.get(name);
  if (!pkg) throw new Error(`${name} is not a published package of this workspace.`);
  if (source.kind === 'registry') return caretRange(pkg.version);
  const tarball = source.tarballs.get(name);
  if (!tarball)
    throw new Error(`No packed tarball for ${name}; pack every package before making the starter.`);
  return `file:${tarball}`;
}

/** Peer dependencies of the starter's `@keel/*` packages that it must install itself. */
function neededPeers(keelPackages: readonly string[], workspace: Workspace): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const name of keelPackages) {
    const pkg = workspace.packages.get(name);
    for (const [peer, range] of Object.entries(pkg?.peerDependencies ?? {})) {
      const optional = pkg?.peerDependenciesMeta?.[peer]?.optional === true;
      if (!optional || DRIVER_PEERS.has(peer)) peers[peer] ??= range;
    }
  }
  return peers;
}

function toolVersions(example: PackageJson, workspace: Workspace): Record<string, string> {
  const tools: Record<string, string> = {};
  for (const tool of STARTER_TOOLS) {
    const range = example.devDependencies?.[tool] ?? workspace.root.devDependencies?.[tool];
    if (!range)
      throw new Error(`The root package.json lists no version of ${tool}; add it to devDependencies.`);
    tools[tool] = range;
  }
  return tools;
}

/** Splits an example's dependency list into kept entries, `@keel/*` names and private tools. */
function classify(deps: Record<string, string>, workspace: Workspace) {
  const kept: Record<string, string> = {};
  const keel: string[] = [];
  const tools: string[] = [];
  for (const [name, range] of Object.entries(deps)) {
    if (workspace.packages.has(name)) keel.push(name);
    else if (workspace.tools.has(name)) tools.push(name);
    else if (range.startsWith('workspace:')) {
      throw new Error(`${name} is a workspace dependency that is neither published nor a tool under tools/.`);
    } else kept[name] = range;
  }
  return { kept, keel, tools };
}

/**
 * Rewrites an example's package.json into a standalone starter's: `workspace:*` dependencies
 * on `@keel/*` become version ranges (or `file:` tarballs with `overrides`, so the packages'
 * own `@keel/*` dependencies resolve to the same files), private tools become `file:` folders,
 * the peers the packages need and the tools a starter runs (tsx, typescript, vitest,
 * `@types/node`) are listed, and the scripts lose the monorepo-only `--conditions` flag and gain
 * `test` and `typecheck`.
 */
export function starterManifest(
  example: PackageJson,
  workspace: Workspace,
  options: { readonly name: string; readonly source: KeelSource },
): StarterManifest {
  const runtime = classify(example.dependencies ?? {}, workspace);
  const dev = classify(example.devDependencies ?? {}, workspace);
  const keelPackages = keelClosure([...runtime.keel, ...dev.keel], workspace.packages);
  const localTools = new Map([...runtime.tools, ...dev.tools].map((name) => [name, localToolDir(name)]));

  const dependencies: Record<string, string> = { ...neededPeers(keelPackages, workspace), ...runtime.kept };
  for (const name of runtime.keel) dependencies[name] = keelSpec(name, workspace, options.source);
  const devDependencies: Record<string, string> = { ...dev.kept, ...toolVersions(example, workspace) };
  for (const name of dev.keel) devDependencies[name] = keelSpec(name, workspace, options.source);
  for (const [name, dir] of localTools) devDependencies[name] = `file:./${dir}`;
  for (const name of Object.keys(dependencies)) delete devDependencies[name];

  const scripts = Object.fromEntries(
    Object.entries(example.scripts ?? {}).map(([key, script]) => [key, withoutSourceCondition(script)]),
  );
  const manifest: PackageJson = {
    name: options.name,
    private: true,
    version: '0.1.0',
    ...(example.description === undefined ? {} : { description: example.description }),
    type: example.type ?? 'module',
    scripts: { ...scripts, test: 'vitest run', typecheck: 'tsc --noEmit' },
    dependencies: sortedRecord(dependencies),
    devDependencies: sortedRecord(devDependencies),
    ...(workspace.root.engines === undefined ? {} : { engines: workspace.root.engines }),
  };
  if (options.source.kind === 'local') {
    const overrides: Record<string, string> = {};
    for (const name of keelPackages) overrides[name] = keelSpec(name, workspace, options.source);
    manifest.overrides = overrides;
  }
  return { manifest, localTools, keelPackages };
}

/** The folder inside a starter that holds a copy of the private tool `name`. */
export function localToolDir(name: string): string {
  return `local/${name.replace(/^@[^/]+\//, '')}`;
}
