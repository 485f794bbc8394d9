import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';

describe('the saga store contracts under another test runner', () => {
  it('runs under node:test with no vitest loaded, every test passing', async () => {
    const report = await runUnderNodeTest(new URL('./contracts.fixture.ts', import.meta.url));
    expect(report.failed).toBe(false);
    expect(report.tap).toMatch(/^\s*ok \d+ - stores a new saga at version 1 and returns it from get$/m);
    expect(report.tap).toMatch(/^\s*ok \d+ - inserts at version 1 and loads state, inbox, pending events/m);
    expect(report.pass).toBeGreaterThan(0);
    expect(report.pass).toBe(report.tests);
    expect(report.fail).toBe(0);
  });

  it('fails under node:test on a store that breaks one rule, naming the broken rule', async () => {
    const report = await runUnderNodeTest(new URL('./brokenSagaStore.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toContain('renews a lease only for its owner');
    expect(report.tap).toContain('renewed for another owner');
    expect(report.fail).toBe(1);
  });
});
