// `pnpm demo`: runs every example under examples/ in turn (each one's `pnpm start`) and stops
// at the first that fails. Examples use the embedded default infrastructure, so no server is
// needed.
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { readPackage, workspaceDirs } from './lib.mjs';

const examples = workspaceDirs('examples').filter((dir) => readPackage(dir).scripts?.start);
if (examples.length === 0) {
  console.log('No examples exist yet: nothing to run.');
  process.exit(0);
}

const started = performance.now();
for (const [index, dir] of examples.entries()) {
  const name = basename(dir);
  console.log(`\n━━━ [${index + 1}/${examples.length}] examples/${name} ━━━\n`);
  const result = spawnSync('pnpm', ['run', '--silent', 'start'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\nexamples/${name} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\nAll ${examples.length} examples ran successfully in ${seconds} s.`);
