import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';

describe('the rate-limit store contract under another test runner', () => {
  it('runs under node:test with no vitest loaded, every test passing', async () => {
    const report = await runUnderNodeTest(new URL('./contracts.fixture.ts', import.meta.url));
    expect(report.failed).toBe(false);
    expect(report.tap).toMatch(
      /^\s*ok \d+ - makes the GCRA decisions for any sequence of calls, clocks lagging too$/m,
    );
    expect(report.pass).toBeGreaterThan(0);
    expect(report.pass).toBe(report.tests);
    expect(report.fail).toBe(0);
  });

  it('fails only the concurrency tests on a store whose read-modify-write races', async () => {
    const report = await runUnderNodeTest(new URL('./nonAtomicStore.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toEqual([
      'never grants more than the token bucket limit to 50 concurrent callers of one key',
      'token bucket',
      'never grants more than the sliding window limit to 50 concurrent callers of one key',
      'sliding window',
      'never grants more than the GCRA limit to 50 concurrent callers of one key',
      'GCRA',
      'NonAtomicStore (RateLimitStore contract)',
    ]);
    expect(report.tap).toMatch(/50 of 50 concurrent callers were granted a permit under token-bucket/);
    expect(report.fail).toBe(3);
  });

  it('fails only the Object.prototype key test on a store that keeps state in a plain object', async () => {
    const report = await runUnderNodeTest(new URL('./plainObjectStore.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toContain(
      'treats the names of Object.prototype (__proto__, constructor …) as ordinary keys',
    );
    expect(report.tap).toContain('for "__proto__"');
    expect(report.fail).toBe(1);
  });
});
