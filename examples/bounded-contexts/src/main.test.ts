import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';
import type { ScenarioOptions } from './scenario.js';

const EXPECTED_OUTCOMES = [
  'sales.OrderPlaced.v2 → applied',
  'sales.OrderPlaced.v2 → applied',
  'sales.OrderPlaced.v2 → refused [unsupported-currency]',
  'sales.OrderPlaced.v1 → applied',
  'sales.OrderPlaced.v3 → refused [unknown-version]',
  'sales.OrderPlaced.v2 → refused [invalid-payload]',
  'sales.OrderPlaced.v2 → refused [inconsistent-amount]',
  'sales.CartAbandoned.v1 → ignored',
  'sales.OrderCancelled.v1 → applied',
  'sales.OrderCancelled.v1 → refused [invoice.exists]',
  'sales.OrderPlaced.v2 → applied',
];

async function run(options: ScenarioOptions) {
  const lines: string[] = [];
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 30));
  const result = await runScenario({ ...options, clock, print: (line) => lines.push(line) });
  return { ...result, lines };
}

describe('bounded-contexts scenario', () => {
  it('tells the whole story on the in-memory stores', async () => {
    const { published, outcomes, invoices, refusals, lines } = await run({ engine: 'memory' });

    expect(published).toEqual([
      'sales.OrderPlaced.v2',
      'sales.OrderPlaced.v2',
      'sales.OrderPlaced.v2',
      'sales.OrderCancelled.v1',
      'sales.OrderCancelled.v1',
    ]);
    expect(outcomes).toEqual(EXPECTED_OUTCOMES);
    expect(
      invoices.map((invoice) => [invoice.status, 'orderRef' in invoice ? invoice.orderRef : '']),
    ).toEqual([
      ['open', 'S-1001'],
      ['void', 'S-1002'],
      ['open', 'S-0999'],
    ]);
    expect(refusals.map((refusal) => refusal.reason)).toEqual([
      'unsupported-currency',
      'unknown-version',
      'invalid-payload',
      'inconsistent-amount',
      'invoice.exists',
    ]);
    expect(lines).toContain(
      '   sales.OrderPlaced.v2 S-1002 → invoice for £180.00 to Brick & Co (ap@brick.example), due 2026-02-04',
    );
    expect(lines.at(-2)).toBe(
      '6. Billing holds 3 invoices (2 open); 5 refusals in "Billing-refusals", none applied.',
    );
  });

  it('runs the same story on @keel/postgres over in-memory PGlite', async () => {
    const { outcomes, invoices, lines } = await run({ engine: 'postgres', url: '', dataDir: false });

    expect(outcomes).toEqual(EXPECTED_OUTCOMES);
    expect(invoices).toHaveLength(3);
    // Opening PGlite takes seconds: the progress comes first, then where the stores live.
    expect(lines[0]).toMatch(/Opening the embedded PGlite database in memory; this takes a few seconds/);
    expect(lines).toContainEqual(expect.stringMatching(/Migrated schema "billing"/));
    expect(lines.find((line) => line.startsWith('Stores:'))).toMatch(
      /embedded PGlite \(in memory\), schemas "sales" and "billing"/,
    );
  });
});
