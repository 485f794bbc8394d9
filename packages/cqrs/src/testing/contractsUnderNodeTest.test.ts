import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * A module for `--import` that makes every import of vitest fail in the child: vitest 4 loads
 * outside its runner, so only this proves the contracts (and what they import) never load it.
 */
const REFUSE_VITEST = `data:text/javascript,${encodeURIComponent(`
  import { register } from 'node:module';
  const hook = 'export async function resolve(specifier, context, next) {' +
    ' if (specifier.startsWith("vitest") || specifier.startsWith("@vitest"))' +
    '   throw new Error("vitest imported by " + context.parentURL);' +
    ' return next(specifier, context); }';
  register('data:text/javascript,' + encodeURIComponent(hook));
`)}`;

/** Runs `fixture` under node:test through tsx, vitest refused, and returns its TAP report. */
async function tapOf(fixture: string): Promise<string> {
  const cli = createRequire(import.meta.url).resolve('tsx/cli');
  const file = fileURLToPath(new URL(fixture, import.meta.url));
  const args = [
    cli,
    '--conditions=@keel/source',
    `--import=${REFUSE_VITEST}`,
    '--test',
    '--test-reporter=tap',
    file,
  ];
  // node --test exits with 1 when a test fails; the report (and any load error) is what matters.
  return promisify(execFile)(process.execPath, args).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}\n${error.stderr ?? ''}`,
  );
}

/** The number after `# <name>` in a TAP summary. */
function summaryCount(tap: string, name: string): number {
  const match = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap);
  if (match === null) throw new Error(`no "# ${name}" line in the report:\n${tap}`);
  return Number(match[1]);
}

describe('the cqrs contract suites under node:test', () => {
  it('runs under node:test with no vitest loaded', async () => {
    const tap = await tapOf('./contractsUnderNodeTest.fixture.ts');
    expect(tap).toContain('# Subtest: IdempotencyStore contract: InMemoryIdempotencyStore');
    expect(tap).toContain('# Subtest: EventTransport contract: InProcessEventTransport');
    expect(summaryCount(tap, 'tests')).toBeGreaterThan(50);
    expect(summaryCount(tap, 'pass')).toBe(summaryCount(tap, 'tests'));
    expect(tap).toContain('# fail 0');
  });

  it('fails a store that breaks a rule, with the assertion of that rule', async () => {
    const tap = await tapOf('./brokenStoreUnderNodeTest.fixture.ts');
    const failed = [...tap.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((match) => match[1]);
    expect(failed).toContain('ignores a release with a token that does not hold the key');
    expect(failed).toContain('does not let a holder whose lease expired release the new holder’s claim');
    expect(tap).toContain('release with a token that does not hold the key returned true');
    expect(tap).toContain("code: 'ERR_ASSERTION'");
    expect(summaryCount(tap, 'fail')).toBe(2);
    expect(summaryCount(tap, 'pass')).toBe(summaryCount(tap, 'tests') - 2);
  });

  it('refuses vitest in the child, so a passing run proves the contracts load none', async () => {
    const tap = await tapOf('./importsVitest.fixture.ts');
    expect(tap).toContain('vitest imported by');
    expect(summaryCount(tap, 'fail')).toBe(1);
  });
});
