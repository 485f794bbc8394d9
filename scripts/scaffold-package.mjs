// Writes the package.json, tsup config and entry of a new published package under packages/.
// Usage: node scripts/scaffold-package.mjs <name> "<description>" [dep,dep] [subpath,subpath]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description, deps = '', subpaths = ''] = process.argv.slice(2);
if (!name || !description) throw new Error('usage: scaffold-package <name> <description> [deps] [subpaths]');
const dir = join('packages', name);
const entries = ['index', ...subpaths.split(',').filter(Boolean)];

const conditions = (entry, withSource) => ({
  ...(withSource ? { '@keel/source': `./src/${entry}.ts` } : {}),
  import: { types: `./dist/${entry}.d.ts`, default: `./dist/${entry}.js` },
  require: { types: `./dist/${entry}.d.cts`, default: `./dist/${entry}.cjs` },
});
const exportsMap = (withSource) =>
  Object.fromEntries([
    ...entries.map((entry) => [entry === 'index' ? '.' : `./${entry}`, conditions(entry, withSource)]),
    ['./package.json', './package.json'],
  ]);

const pkg = {
  name: `@keel/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  files: ['dist'],
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: exportsMap(true),
  publishConfig: { exports: exportsMap(false) },
  scripts: { build: 'tsup' },
  dependencies: Object.fromEntries(
    deps
      .split(',')
      .filter(Boolean)
      .map((dep) => [`@keel/${dep}`, 'workspace:^']),
  ),
  engines: { node: '>=20.19' },
};

mkdirSync(join(dir, 'src'), { recursive: true });
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { defineConfig } from 'tsup';
import { keelPackage } from '../../tools/build/src/tsupPreset.js';

// Entries come from the package.json exports (their \`@keel/source\` conditions).
export default defineConfig(keelPackage());
`,
);
for (const entry of entries) {
  const file = join(dir, 'src', `${entry}.ts`);
  if (!existsSync(file)) writeFileSync(file, 'export {};\n');
}
