// Keeps every published package's `repository`, `homepage` and `bugs` in step with the root
// package.json, so npm shows working links. The repository URL lives in one place: the root's
// `repository.url`; change it there and run `node scripts/package-meta.mjs` to rewrite the
// packages. `--check` (used by CI) only reports packages that are out of step.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { publishedPackages, readPackage, root } from './lib.mjs';

/** The web address of the repository, from its git URL (`git+https://….git` → `https://…`). */
export function repositoryWebUrl(gitUrl) {
  return gitUrl.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** The three fields one package should have, given the root repository's git URL and its folder. */
export function packageMeta(gitUrl, directory) {
  const web = repositoryWebUrl(gitUrl);
  return {
    repository: { type: 'git', url: gitUrl, directory },
    homepage: `${web}/tree/main/${directory}#readme`,
    bugs: { url: `${web}/issues` },
  };
}

/** `pkg` with the fields set, placed after `license` (or at the end) for a stable order. */
export function withMeta(pkg, meta) {
  const out = {};
  const rest = Object.fromEntries(Object.entries(pkg).filter(([key]) => !(key in meta)));
  for (const [key, value] of Object.entries(rest)) {
    out[key] = value;
    if (key === 'license') Object.assign(out, meta);
  }
  return { ...out, ...meta };
}

function main() {
  const check = process.argv.includes('--check');
  const gitUrl = readPackage(root).repository?.url;
  if (!gitUrl) throw new Error('The root package.json has no repository.url; add it first.');
  const stale = [];
  for (const { dir, pkg } of publishedPackages()) {
    const directory = relative(root, dir).split('\\').join('/');
    const next = withMeta(pkg, packageMeta(gitUrl, directory));
    const file = join(dir, 'package.json');
    const text = `${JSON.stringify(next, null, 2)}\n`;
    if (text === readFileSync(file, 'utf8')) continue;
    stale.push(pkg.name);
    if (!check) writeFileSync(file, text);
  }
  if (check && stale.length > 0) {
    console.error(
      `repository/homepage/bugs are out of step with the root package.json in: ${stale.join(', ')}.\n` +
        'Run `node scripts/package-meta.mjs` to rewrite them.',
    );
    process.exit(1);
  }
  console.log(
    check ? 'Package links are in step with the root package.json.' : `Updated ${stale.length} package(s).`,
  );
}

if (process.argv[1] === import.meta.filename) main();
