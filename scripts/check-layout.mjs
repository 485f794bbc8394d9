// Checks the layout rules every package follows (docs/design.md, "Inside a package"):
// - Test support is named for what it is: a file of src/ that does not ship (is not reachable
//   from the package's exports entries) must be a test (`*.test.ts`, `*.test-d.ts`), a fixture
//   (`*.fixture.ts`), a suite (`*.suite.ts`) or a README snippet (`*.snippet.ts`). A production
//   name on a test-only file (`sqlClientBehaviour.ts`, `testKit.ts`) hides what it is.
// - No two files of one package share a name, in any folders: `errors.ts` in three folders
//   makes every stack trace and editor tab ambiguous. Tests, fixtures and `index.ts` files count
//   like any other file.
// The rule "internal/ holds utilities only" needs judgement and is left to review.
// Exits 1 and prints `file: problem` for each violation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { reachableFiles, sourceEntries } from './check-dependencies.mjs';
import { root, workspaceDirs } from './lib.mjs';

/** Names a file of src/ may carry when it does not ship. */
const TEST_ONLY_NAME = /\.(test|test-d|fixture|suite|snippet)\.ts$/;

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The layout violations of one package folder, as `{ file, message }` with repo-relative paths. */
export function checkPackageLayout(dir, base = root) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = sourceFiles(join(dir, 'src'));
  const shipped = reachableFiles(sourceEntries(manifest).map((entry) => join(dir, entry)));
  const violations = [];
  for (const file of files) {
    if (shipped.has(file) || TEST_ONLY_NAME.test(file)) continue;
    violations.push({
      file: relative(base, file),
      message:
        'does not ship (nothing exported reaches it) but has a production name: name it ' +
        '*.fixture.ts or *.suite.ts, move it to src/testing/ and export it, or delete it if unused',
    });
  }
  const byName = new Map();
  for (const file of files) {
    const name = basename(file);
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    for (const file of same) {
      const others = same.filter((other) => other !== file).map((other) => relative(dir, other));
      violations.push({
        file: relative(base, file),
        message: `shares its name ${name} with ${others.join(', ')} in the same package`,
      });
    }
  }
  return violations;
}

function main() {
  const violations = workspaceDirs('packages').flatMap((dir) => checkPackageLayout(dir));
  if (violations.length === 0) {
    console.log('Layout rules hold in every package (test support named as such, no shared file names).');
    return;
  }
  for (const { file, message } of violations) console.error(`${file}: ${message}`);
  console.error(`\n${violations.length} layout rule violation(s); see docs/design.md "Inside a package".`);
  process.exitCode = 1;
}

if (process.argv[1] === import.meta.filename) main();
