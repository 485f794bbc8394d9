import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SALES_EVENTS, salesEventsJsonSchema } from './salesEvents.js';
import { SALES_EVENTS_SCHEMA_FILE } from './writeContracts.js';

describe('the published language', () => {
  it('is committed as JSON Schema exactly as the zod schemas generate it (run `pnpm contracts` if not)', async () => {
    const committed: unknown = JSON.parse(await readFile(SALES_EVENTS_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(salesEventsJsonSchema());
  });

  it('describes every published type with an envelope and a data schema', () => {
    const schema = salesEventsJsonSchema() as {
      oneOf: unknown[];
      $defs: Record<string, { required?: string[] }>;
    };
    expect(Object.keys(schema.$defs)).toEqual(Object.keys(SALES_EVENTS));
    expect(schema.oneOf).toHaveLength(Object.keys(SALES_EVENTS).length);
    expect(schema.$defs['sales.OrderPlaced.v2']?.required).toContain('totalMinor');
  });

  it('lets consumers read fields added later (a tolerant reader)', () => {
    const data = {
      orderId: 'S-1',
      reason: 'out of stock',
      cancelledAt: '2026-02-01T00:00:00Z',
      refundedBy: 'card',
    };
    expect(SALES_EVENTS['sales.OrderCancelled.v1'].safeParse(data).success).toBe(true);
  });
});
