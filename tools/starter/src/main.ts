import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packAll, run } from '../../../scripts/lib.mjs';
import { createStarter } from './createStarter.js';
import { exampleNames, REPO_ROOT } from './workspace.js';

/** The command line of `pnpm starter`, parsed. */
export interface StarterArgs {
  readonly example: string;
  readonly dir: string;
  /** Pack the workspace's packages into the starter instead of depending on published ones. */
  readonly local: boolean;
  /** With `local`, pack the existing builds instead of running `pnpm build` first. */
  readonly build: boolean;
}

const USAGE = 'Usage: pnpm starter <example> <dir> [--local] [--no-build]';

/** Parses `<example> <dir> [--local] [--no-build]`; `dir` is resolved against `cwd`. */
export function parseArgs(argv: readonly string[], cwd: string): StarterArgs {
  const flags = argv.filter((arg) => arg.startsWith('--'));
  const unknown = flags.filter((flag) => flag !== '--local' && flag !== '--no-build');
  if (unknown.length > 0) throw new Error(`Unknown option ${unknown.join(', ')}.\n${USAGE}`);
  const positional = argv.filter((arg) => !arg.startsWith('--'));
  const [example, dir] = positional;
  if (!example || !dir || positional.length > 2) {
    throw new Error(`${USAGE}\nExamples: ${exampleNames().join(', ')}.`);
  }
  return {
    example,
    dir: resolve(cwd, dir),
    local: flags.includes('--local'),
    build: !flags.includes('--no-build'),
  };
}

function main(): void {
  // pnpm runs scripts from the repository root; INIT_CWD is where the user typed the command.
  const args = parseArgs(process.argv.slice(2), process.env['INIT_CWD'] ?? process.cwd());
  const packs = args.local ? mkdtempSync(join(tmpdir(), 'keel-starter-packs-')) : undefined;
  try {
    if (packs && args.build) run('pnpm', ['build'], { cwd: REPO_ROOT });
    const tarballs = packs ? packAll(packs) : undefined;
    const result = createStarter(args.example, args.dir, tarballs ? { tarballs } : {});
    console.log(`\nWrote ${result.manifest.name} to ${args.dir}. Next:`);
    console.log(`  cd ${args.dir}\n  npm install\n  npm start\n  npm test`);
  } finally {
    if (packs) rmSync(packs, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
