import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';

describe('ddd-orders scenario', () => {
  it('runs the whole story and reports what the domain refused', async () => {
    const lines: string[] = [];
    const result = await runScenario({
      print: (line) => lines.push(line),
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
    });

    expect(result.rejections.map((rejection) => rejection.reason)).toEqual([
      'order.single-currency',
      'VALIDATION_FAILED',
      'VALIDATION_FAILED',
      'order.confirmed-is-final',
      'order.not-empty',
      'CONCURRENCY_CONFLICT',
    ]);
    expect(result.rejections[2]?.message).toMatch(/Invalid Address \(3 problems\)/);
    expect(result.emails.map((email) => [email.to, email.body])).toEqual([
      ['ann@example.com', 'Total €1,355.65 (you saved €71.35).'],
      ['bob@example.com', 'Total €27.00 (you saved €3.00).'],
    ]);
    expect(result.highValueOrders).toEqual(['A-1001']);
    expect(result.finalTotals).toEqual({ 'A-1001': '€1,427.00', 'B-2002': '€30.00', 'C-3003': '€69.00' });
    expect(result.publishedEventTypes).toEqual([
      'OrderPlaced',
      'OrderConfirmed',
      'OrderPlaced',
      'OrderConfirmed',
      'OrderPlaced',
    ]);
    expect(lines.some((line) => line.includes('refused [order.confirmed-is-final]'))).toBe(true);
  });
});
