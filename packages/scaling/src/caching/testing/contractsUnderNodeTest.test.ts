import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Runs a fixture under `node:test` in a child process (no vitest loaded) and returns its TAP. */
async function underNodeTest(fixture: string): Promise<{ tap: string; exitedWithFailure: boolean }> {
  const cli = createRequire(import.meta.url).resolve('tsx/cli');
  const file = fileURLToPath(new URL(fixture, import.meta.url));
  const args = [cli, '--conditions=@keel/source', '--test', '--test-reporter=tap', file];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args);
    return { tap: stdout, exitedWithFailure: false };
  } catch (error) {
    return { tap: String((error as { stdout?: unknown }).stdout), exitedWithFailure: true };
  }
}

const count = (tap: string, label: string): number =>
  Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tap)?.[1] ?? Number.NaN);

describe('the cache store contract under another test runner', () => {
  it('runs under node:test with no vitest loaded, every test passing', async () => {
    const { tap, exitedWithFailure } = await underNodeTest('./contracts.fixture.ts');
    expect(exitedWithFailure).toBe(false);
    expect(tap).toMatch(/^\s*ok \d+ - returns what was stored, structured values included$/m);
    expect(count(tap, 'pass')).toBeGreaterThan(0);
    expect(count(tap, 'pass')).toBe(count(tap, 'tests'));
    expect(tap).toContain('# fail 0');
  });

  it('fails under node:test on a store that breaks one rule, naming the broken rule', async () => {
    const { tap, exitedWithFailure } = await underNodeTest('./brokenCacheStore.fixture.ts');
    expect(exitedWithFailure).toBe(true);
    expect(tap).toMatch(/^\s*not ok \d+ - delete reports whether the key was present$/m);
    expect(tap).toContain('delete of an absent key should report false');
    expect(tap).toContain('# fail 1');
  });
});
