import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll } from '../../../scripts/lib.mjs';
import { createStarter } from './createStarter.js';
import { exampleNames } from './workspace.js';

/** The npm commands every starter must pass, in order. */
export const STARTER_CHECKS = [
  ['install', '--no-audit', '--no-fund', '--loglevel=error'],
  ['start'],
  ['test'],
  ['run', 'typecheck'],
] as const;

/** The environment a starter runs in: CI mode, and the embedded database (no KEEL_PG_URL). */
export function starterEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, CI: 'true' };
  delete out['KEEL_PG_URL'];
  // npm would otherwise run the starter's scripts with the monorepo's pnpm settings.
  for (const key of Object.keys(out)) if (key.startsWith('npm_')) delete out[key];
  return out;
}

/** Makes a starter of `example` in `dir` from the tarballs and runs every check; returns the failure. */
function verify(example: string, dir: string, tarballs: ReadonlyMap<string, string>): string | undefined {
  createStarter(example, dir, { tarballs, command: `pnpm starter ${example} <dir> --local` });
  for (const args of STARTER_CHECKS) {
    console.log(`\n[${example}] npm ${args.join(' ')}`);
    const result = spawnSync('npm', args, { cwd: dir, stdio: 'inherit', env: starterEnv(process.env) });
    if (result.status !== 0)
      return `npm ${args[0] === 'run' ? args[1] : args[0]} failed (${result.status ?? result.signal})`;
  }
  return undefined;
}

/**
 * CI's starter check: packs the workspace's packages once (run `pnpm build` first), makes a
 * `--local` starter from every example (or those named) in a temporary folder, and runs
 * `npm install`, `npm start`, `npm test` and `npm run typecheck` in each. `--keep` leaves the
 * folder for inspection.
 */
function main(): void {
  const argv = process.argv.slice(2);
  const named = argv.filter((arg) => !arg.startsWith('--'));
  const examples = named.length > 0 ? named : exampleNames();
  const work = mkdtempSync(join(tmpdir(), 'keel-starters-'));
  const failures: string[] = [];
  try {
    mkdirSync(join(work, 'packs'));
    const tarballs = packAll(join(work, 'packs'));
    for (const example of examples) {
      const failure = verify(example, join(work, example), tarballs);
      if (failure) failures.push(`${example}: ${failure}`);
    }
  } finally {
    if (argv.includes('--keep')) console.log(`\nStarters kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nstarters: ${examples.length - failures.length} passed, ${failures.length} failed`);
  for (const failure of failures) console.error(`  ${failure}`);
  if (failures.length > 0) process.exit(1);
}

if (process.argv[1] === import.meta.filename) main();
