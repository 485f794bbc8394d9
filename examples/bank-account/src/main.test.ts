import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';

describe('bank-account scenario', () => {
  it('runs the whole story: rules, conflicts, snapshots, upcasting and the read model', async () => {
    const lines: string[] = [];
    const result = await runScenario({
      print: (line) => lines.push(line),
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
    });

    expect(result.rejections.map((rejection) => rejection.reason)).toEqual([
      'account.insufficient-funds',
      'VALIDATION_FAILED',
      'CONCURRENCY_CONFLICT',
      'account.balance-must-be-zero',
      'account.must-be-open',
    ]);
    expect(result.conflictRetries).toBe(1);
    expect(result.adaStreamVersion).toBe(251);
    expect(result.adaSnapshotVersion).toBe(200);
    expect(result.balances.map((row) => [row.owner, row.balanceCents, row.transactions, row.closed])).toEqual(
      [
        ['Ada', -30_00, 251, false],
        ['Bob', 0, 4, true],
        ['Carol', 12_50, 1, false],
      ],
    );
    expect(result.rebuildProgress.at(-1)).toMatchObject({ processed: 260, headPosition: 260 });
    expect(result.totalAfterRebuildCents).toBe(-17_50);
    expect(lines.some((line) => line.includes('Carol holds €12.50'))).toBe(true);
  });
});
