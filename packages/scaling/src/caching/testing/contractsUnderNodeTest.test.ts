import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';

describe('the cache and cache store contracts under another test runner', () => {
  it('run under node:test with no vitest loaded, every test passing', async () => {
    const report = await runUnderNodeTest(new URL('./contracts.fixture.ts', import.meta.url));
    expect(report.failed).toBe(false);
    expect(report.tap).toMatch(/^\s*ok \d+ - returns what was stored, structured values included$/m);
    expect(report.tap).toMatch(/^\s*ok \d+ - LruCache \(Cache contract\)$/m);
    expect(report.tap).toMatch(/^\s*ok \d+ - WTinyLfuCache \(Cache contract\)$/m);
    expect(report.pass).toBeGreaterThan(0);
    expect(report.pass).toBe(report.tests);
    expect(report.fail).toBe(0);
  });

  it('fails under node:test on a store that breaks one rule, naming the broken rule', async () => {
    const report = await runUnderNodeTest(new URL('./brokenCacheStore.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toContain('delete reports whether the key was present');
    expect(report.tap).toContain('delete of an absent key should report false');
    expect(report.fail).toBe(1);
  });

  it('fails under node:test on a cache that breaks one rule, only the test of that rule', async () => {
    const report = await runUnderNodeTest(new URL('./brokenCache.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toContain(
      'disposes a replaced value with reason "set", and nothing when the same value is set again',
    );
    expect(report.tap).toContain('setting the stored value again disposed it');
    expect(report.fail).toBe(1);
    expect(report.pass).toBe(report.tests - 1);
  });
});
