import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import {
  STARTER_GITIGNORE,
  readTimeouts,
  starterReadmeHeader,
  starterTsconfig,
  starterVitestConfig,
  withRepositoryLinks,
  withoutSourceConditionArgument,
} from './configFiles.js';
import { undeclaredImports } from './imports.js';
import { starterManifest, starterName } from './manifest.js';
import type { KeelSource, StarterManifest } from './manifest.js';
import { readPackageJson, readWorkspace, repositoryWebUrl, REPO_ROOT } from './workspace.js';

/** Options of {@link createStarter}. */
export interface CreateStarterOptions {
  /**
   * Packed `@keel/*` tarballs (absolute paths by package name) to copy into the starter's
   * `vendor/` folder and depend on; without them the starter depends on published versions.
   */
  readonly tarballs?: ReadonlyMap<string, string>;
  /** The command shown in the starter's README. @default `pnpm starter <example> <dir>` */
  readonly command?: string;
  /** The repository to read. @default this repository */
  readonly root?: string;
}

/** Folders and files of an example that are never copied: installs and what a run wrote. */
const SKIPPED = new Set(['node_modules', 'out', 'dist', '.data', '.tmp', 'coverage']);

function copyTree(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (source) => !SKIPPED.has(basename(source)) && !source.endsWith('.log'),
  });
}

/** TypeScript files under `dir`, recursively. */
function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(c|m)?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

function stripSourceCondition(dir: string): void {
  for (const file of typeScriptFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    const next = withoutSourceConditionArgument(text);
    if (next !== text) writeFileSync(file, next);
  }
}

function vendorTarballs(dir: string, tarballs: ReadonlyMap<string, string>, needed: readonly string[]) {
  const relativePaths = new Map<string, string>();
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  for (const name of needed) {
    const tarball = tarballs.get(name);
    if (!tarball) throw new Error(`No packed tarball for ${name}; pack every package first.`);
    copyFileSync(tarball, join(dir, 'vendor', basename(tarball)));
    relativePaths.set(name, `vendor/${basename(tarball)}`);
  }
  return relativePaths;
}

function writeReadme(
  exampleDir: string,
  dir: string,
  example: string,
  command: string,
  webUrl: string,
): void {
  const source = join(exampleDir, 'README.md');
  if (!existsSync(source)) return;
  const readme = withRepositoryLinks(readFileSync(source, 'utf8'), `examples/${example}`, webUrl);
  writeFileSync(join(dir, 'README.md'), starterReadmeHeader(example, command) + readme);
}

function checkImports(dir: string, example: string, result: StarterManifest): void {
  const sources = typeScriptFiles(join(dir, 'src')).map((file) => readFileSync(file, 'utf8'));
  const missing = undeclaredImports(sources, result.manifest);
  if (missing.length > 0) {
    throw new Error(
      `examples/${example} imports ${missing.join(', ')} without listing it in its package.json; add it there.`,
    );
  }
}

function writeConfigFiles(root: string, dir: string, result: StarterManifest): void {
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  const timeouts = readTimeouts(readFileSync(join(root, 'vitest.config.ts'), 'utf8'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(result.manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), starterTsconfig(base.compilerOptions));
  writeFileSync(join(dir, 'vitest.config.ts'), starterVitestConfig(timeouts));
  writeFileSync(join(dir, '.gitignore'), STARTER_GITIGNORE);
}

/**
 * Writes a standalone copy of `examples/<example>` into `dir` (which must not exist or be
 * empty): its sources and README, a package.json with real dependencies, a tsconfig.json, a
 * vitest.config.ts, a .gitignore, the private test tools it uses under `local/`, and, when
 * tarballs are given, the `@keel/*` packages under `vendor/`. Returns the manifest written.
 *
 * @throws Error when the example does not exist or `dir` is not empty.
 */
export function createStarter(
  example: string,
  dir: string,
  options: CreateStarterOptions = {},
): StarterManifest {
  const root = options.root ?? REPO_ROOT;
  const exampleDir = join(root, 'examples', example);
  if (!existsSync(join(exampleDir, 'package.json'))) {
    throw new Error(`There is no example "${example}" (no examples/${example}/package.json).`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not empty; give a new or empty folder for the starter.`);
  }
  const workspace = readWorkspace(root);
  const examplePkg = readPackageJson(exampleDir);
  const name = starterName(dir);
  // A first pass learns which @keel packages are needed, so only those are vendored.
  const { keelPackages } = starterManifest(examplePkg, workspace, { name, source: { kind: 'registry' } });
  copyTree(exampleDir, dir);
  const source: KeelSource = options.tarballs
    ? { kind: 'local', tarballs: vendorTarballs(dir, options.tarballs, keelPackages) }
    : { kind: 'registry' };
  const result = starterManifest(examplePkg, workspace, { name, source });

  for (const [tool, target] of result.localTools) {
    const toolDir = workspace.tools.get(tool);
    if (toolDir) copyTree(toolDir, join(dir, target));
  }
  stripSourceCondition(dir);
  checkImports(dir, example, result);
  writeConfigFiles(root, dir, result);
  const command = options.command ?? `pnpm starter ${example} ${relative(root, dir) || dir}`;
  writeReadme(exampleDir, dir, example, command, repositoryWebUrl(workspace.root));
  return result;
}
