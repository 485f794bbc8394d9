import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..', '..');
const fixture = join(import.meta.dirname, 'promiseHooks.fixture.ts');

/**
 * Runs the fixture in a fresh Node process (this test's worker may have promise hooks on
 * already) and returns whether they were on before and after it used the buses.
 */
async function hooksAround(...args: string[]): Promise<{ before: boolean; after: boolean }> {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@keel/source', '--import', 'tsx', fixture, ...args],
    { cwd: root, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { before: boolean; after: boolean };
}

describe('async_hooks promise hooks', () => {
  it('stay off in a process that uses every bus with correlation, logging, validation, idempotency and timeouts', async () => {
    await expect(hooksAround('unordered')).resolves.toEqual({ before: false, after: false });
  }, 60_000);

  it('stay off with the events of an aggregate, nested through a command by their causes', async () => {
    await expect(hooksAround()).resolves.toEqual({ before: false, after: false });
  }, 60_000);

  it("are switched on by ordered deliveries when the event bus opts in with nestedPublishes: 'detect'", async () => {
    await expect(hooksAround('detect')).resolves.toEqual({ before: false, after: true });
  }, 60_000);

  it('are switched on by the ambient correlation opt-in, which shows the check sees them', async () => {
    await expect(hooksAround('ambient', 'unordered')).resolves.toEqual({
      before: false,
      after: true,
    });
  }, 60_000);
});
