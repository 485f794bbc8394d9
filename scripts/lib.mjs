// Helpers shared by the repo scripts: listing workspace packages and running commands.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** The workspace folders of one group (`packages` or `examples`) that hold a package.json. */
export function workspaceDirs(group) {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** The parsed package.json of a folder. */
export function readPackage(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The published packages (not private) under packages/. */
export function publishedPackages() {
  return workspaceDirs('packages')
    .map((dir) => ({ dir, pkg: readPackage(dir) }))
    .filter(({ pkg }) => !pkg.private);
}

/** Runs a command with inherited output; throws when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status ?? result.signal}`);
  }
  return result;
}

/**
 * Packs every published package (built first), or only those named in `only`, into `dest`;
 * returns the tarball paths by package name.
 */
export function packAll(dest, only = []) {
  const tarballs = new Map();
  for (const { dir, pkg } of publishedPackages()) {
    if (only.length > 0 && !only.includes(pkg.name)) continue;
    if (!existsSync(join(dir, 'dist')))
      throw new Error(`${pkg.name} is not built; run \`pnpm build\` first.`);
    const result = spawnSync('pnpm', ['pack', '--pack-destination', dest, '--json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`pnpm pack failed in ${dir}:\n${result.stderr}`);
    const file = readdirSync(dest).find((name) =>
      name.startsWith(pkg.name.replace('@', '').replace('/', '-') + '-'),
    );
    if (!file) throw new Error(`No tarball found for ${pkg.name} in ${dest}`);
    tarballs.set(pkg.name, join(dest, file));
  }
  return tarballs;
}
