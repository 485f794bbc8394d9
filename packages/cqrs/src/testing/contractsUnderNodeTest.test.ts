import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';

describe('the cqrs contract suites under node:test', () => {
  it('runs under node:test with no vitest loaded', async () => {
    const report = await runUnderNodeTest(new URL('./contractsUnderNodeTest.fixture.ts', import.meta.url));
    expect(report.tap).toContain('# Subtest: IdempotencyStore contract: InMemoryIdempotencyStore');
    expect(report.tap).toContain('# Subtest: EventTransport contract: InProcessEventTransport');
    expect(report.tests).toBeGreaterThan(50);
    expect(report.pass).toBe(report.tests);
    expect(report.fail).toBe(0);
    expect(report.failed).toBe(false);
  });

  it('fails a store that breaks a rule, with the assertion of that rule', async () => {
    const report = await runUnderNodeTest(new URL('./brokenStoreUnderNodeTest.fixture.ts', import.meta.url));
    expect(report.failedTests).toContain('ignores a release with a token that does not hold the key');
    expect(report.failedTests).toContain(
      'does not let a holder whose lease expired release the new holder’s claim',
    );
    expect(report.tap).toContain('release with a token that does not hold the key returned true');
    expect(report.tap).toContain("code: 'ERR_ASSERTION'");
    expect(report.fail).toBe(2);
    expect(report.pass).toBe(report.tests - 2);
  });

  it('refuses vitest in the child, so a passing run proves the contracts load none', async () => {
    const report = await runUnderNodeTest(new URL('./importsVitest.fixture.ts', import.meta.url));
    expect(report.tap).toContain('vitest was imported: "vitest"');
    expect(report.failed).toBe(true);
  });
});
