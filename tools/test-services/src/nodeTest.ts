import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * A module for `--import` that makes every import of vitest fail in the child process. Vitest 4
 * loads outside its runner without complaint, so only this proves that what a fixture imports
 * (a contract suite, a spec helper) never loads vitest.
 */
const REFUSE_VITEST = `data:text/javascript,${encodeURIComponent(`
  import { register } from 'node:module';
  const hook = 'export async function resolve(specifier, context, next) {' +
    ' if (/^(vitest|@vitest\\\\/)/.test(specifier))' +
    '   throw new Error("vitest was imported: " + JSON.stringify(specifier) + " from " + context.parentURL);' +
    ' return next(specifier, context); }';
  register('data:text/javascript,' + encodeURIComponent(hook));
`)}`;

/** What a `node --test` run of one fixture reported. */
export interface NodeTestReport {
  /** The whole TAP report, with the child's stderr after it. */
  readonly tap: string;
  /** Whether the child exited with a failure (a failed test, or a fixture that did not load). */
  readonly failed: boolean;
  /** The counts of the TAP summary (`# tests`, `# pass`, `# fail`); NaN when a line is missing. */
  readonly tests: number;
  readonly pass: number;
  readonly fail: number;
  /** The names of the tests that failed, at any depth. */
  readonly failedTests: readonly string[];
}

function summaryCount(tap: string, name: string): number {
  return Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? Number.NaN);
}

/**
 * Runs `fixture` (a URL, usually `new URL('./x.fixture.ts', import.meta.url)`) under `node:test`
 * in a child process, through tsx with the `@keel/source` condition and vitest refused, and
 * returns its TAP report: proof that a test-runner-neutral suite runs, and fails, without vitest.
 */
export async function runUnderNodeTest(fixture: URL): Promise<NodeTestReport> {
  const cli = createRequire(import.meta.url).resolve('tsx/cli');
  const args = [
    cli,
    '--conditions=@keel/source',
    `--import=${REFUSE_VITEST}`,
    '--test',
    '--test-reporter=tap',
    fileURLToPath(fixture),
  ];
  // node --test exits with 1 when a test fails; the report (and any load error) is what matters.
  const { tap, failed } = await promisify(execFile)(process.execPath, args, {
    maxBuffer: 32 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ tap: stdout, failed: false }),
    (error: { stdout?: string; stderr?: string }) => ({
      tap: `${error.stdout ?? ''}\n${error.stderr ?? ''}`,
      failed: true,
    }),
  );
  return {
    tap,
    failed,
    tests: summaryCount(tap, 'tests'),
    pass: summaryCount(tap, 'pass'),
    fail: summaryCount(tap, 'fail'),
    failedTests: [...tap.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((match) => match[1] ?? ''),
  };
}
