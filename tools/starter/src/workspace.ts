import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PackageJson, Workspace } from './manifest.js';

/** The repository's root folder. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The parsed package.json in `dir`. */
export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Folders of `group` (`packages`, `examples`, `tools`) that hold a package.json, sorted. */
export function packageDirs(group: string, root = REPO_ROOT): string[] {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** The examples a starter can be made from: folder names under examples/ with a package.json. */
export function exampleNames(root = REPO_ROOT): string[] {
  return packageDirs('examples', root).map((dir) => dir.split(/[\\/]/).pop() ?? dir);
}

/** What the starter needs to know about the monorepo at `root`. */
export function readWorkspace(root = REPO_ROOT): Workspace {
  const packages = new Map<string, PackageJson>();
  for (const dir of packageDirs('packages', root)) {
    const pkg = readPackageJson(dir);
    if (!pkg.private) packages.set(pkg.name, pkg);
  }
  const tools = new Map<string, string>();
  for (const dir of packageDirs('tools', root)) tools.set(readPackageJson(dir).name, dir);
  return { packages, tools, root: readPackageJson(root) };
}

/** The repository's web address, from the root package.json's `repository.url`. */
export function repositoryWebUrl(root: PackageJson): string {
  const repository = root.repository as { url?: string } | string | undefined;
  const url = typeof repository === 'string' ? repository : repository?.url;
  if (!url) throw new Error('The root package.json has no repository.url.');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}
