import { runUnderNodeTest } from '@keel/test-services';
import { describe, expect, it } from 'vitest';

describe('the contract suites under node:test', () => {
  it('runs under node:test with no vitest loaded, every test passing against the in-memory stores', async () => {
    const report = await runUnderNodeTest(new URL('./contracts.fixture.ts', import.meta.url));
    expect(report.failed).toBe(false);
    expect(report.fail).toBe(0);
    expect(report.tests).toBeGreaterThan(0);
    expect(report.pass).toBe(report.tests);
    for (const suite of [
      'InMemoryEventStore (EventStore contract)',
      'InMemoryEventStore with InMemorySnapshotStore (snapshot loading contract)',
      'InMemorySnapshotStore (SnapshotStore contract)',
      'InMemoryCheckpointStore (CheckpointStore contract)',
      'InMemoryDeadLetterStore (DeadLetterStore contract)',
    ]) {
      expect(report.tap).toMatch(new RegExp(`^ok \\d+ - ${suite.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
  });

  it('fails a store that breaks a rule under node:test, with the assertion that caught it', async () => {
    const report = await runUnderNodeTest(new URL('./rewindingCheckpoints.fixture.ts', import.meta.url));
    expect(report.failed).toBe(true);
    expect(report.failedTests).toContain('ignores a save behind the stored position, quietly');
    expect(report.tap).toContain('a save behind the stored position moved it back');
    // The rules the store keeps still pass: the failure is the broken rule's, not the runner's.
    expect(report.tap).toMatch(/^ {4}ok \d+ - loads the last saved position$/m);
    expect(report.tap).toMatch(/^ {4}ok \d+ - refuses an empty projection name with a ValidationError$/m);
    expect(report.fail).toBeGreaterThan(0);
  });
});
