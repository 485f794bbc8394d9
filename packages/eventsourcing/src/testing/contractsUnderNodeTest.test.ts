import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Runs a fixture under node:test through tsx and returns its TAP output and exit code. */
async function runUnderNodeTest(fixture: string): Promise<{ stdout: string; exitCode: number }> {
  const cli = createRequire(import.meta.url).resolve('tsx/cli');
  const file = fileURLToPath(new URL(fixture, import.meta.url));
  const args = [cli, '--conditions=@keel/source', '--test', '--test-reporter=tap', file];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args);
    return { stdout, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; code?: number };
    if (typeof failed.stdout !== 'string') throw error;
    return { stdout: failed.stdout, exitCode: failed.code ?? 1 };
  }
}

/** The number after `# <name>` in TAP output. */
function tapCount(stdout: string, name: string): number {
  const match = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(stdout);
  if (match === null) throw new Error(`no "# ${name}" line in the TAP output:\n${stdout}`);
  return Number(match[1]);
}

describe('the contract suites under node:test', () => {
  it('runs under node:test with no vitest loaded, every test passing against the in-memory stores', async () => {
    const { stdout, exitCode } = await runUnderNodeTest('./contracts.fixture.ts');
    expect(exitCode).toBe(0);
    expect(tapCount(stdout, 'fail')).toBe(0);
    expect(tapCount(stdout, 'tests')).toBeGreaterThan(0);
    expect(tapCount(stdout, 'pass')).toBe(tapCount(stdout, 'tests'));
    for (const suite of [
      'InMemoryEventStore (EventStore contract)',
      'InMemoryEventStore with InMemorySnapshotStore (snapshot loading contract)',
      'InMemorySnapshotStore (SnapshotStore contract)',
      'InMemoryCheckpointStore (CheckpointStore contract)',
      'InMemoryDeadLetterStore (DeadLetterStore contract)',
    ]) {
      expect(stdout).toMatch(new RegExp(`^ok \\d+ - ${suite.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
  });

  it('would notice vitest being loaded: the fixtures refuse to import it', async () => {
    const { stdout, exitCode } = await runUnderNodeTest('./importsVitest.fixture.ts');
    expect(exitCode).not.toBe(0);
    expect(stdout).toContain('vitest was imported: "vitest"');
  });

  it('fails a store that breaks a rule under node:test, with the assertion that caught it', async () => {
    const { stdout, exitCode } = await runUnderNodeTest('./rewindingCheckpoints.fixture.ts');
    expect(exitCode).not.toBe(0);
    expect(stdout).toMatch(/^ {4}not ok \d+ - ignores a save behind the stored position, quietly$/m);
    expect(stdout).toContain('a save behind the stored position moved it back');
    // The rules the store keeps still pass: the failure is the broken rule's, not the runner's.
    expect(stdout).toMatch(/^ {4}ok \d+ - loads the last saved position$/m);
    expect(stdout).toMatch(/^ {4}ok \d+ - refuses an empty projection name with a ValidationError$/m);
    expect(tapCount(stdout, 'fail')).toBeGreaterThan(0);
  });
});
