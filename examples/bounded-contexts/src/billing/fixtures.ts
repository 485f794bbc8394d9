import { createMessage } from '@keel/core';
import type { Message } from '@keel/core';
import type { SalesEventData } from '../contracts/salesEvents.js';

/** A valid `sales.OrderPlaced.v2` payload; override fields to break it. */
export function orderPlacedV2(
  overrides: Record<string, unknown> = {},
): SalesEventData<'sales.OrderPlaced.v2'> {
  return {
    orderId: 'S-1',
    customer: { id: 'C-1', name: 'Ann Smit', email: 'ann@example.com', segment: 'wholesale' },
    lines: [
      { sku: 'KEYBOARD-01', quantity: 2, unitPriceMinor: 8_900 },
      { sku: 'MONITOR-27', quantity: 1, unitPriceMinor: 124_900 },
    ],
    totalMinor: 142_700,
    currency: 'EUR',
    placedAt: '2026-01-30T16:00:00.000Z',
    ...overrides,
  } as SalesEventData<'sales.OrderPlaced.v2'>;
}

/** A Sales message of any type with `data`. */
export const salesMessage = (type: string, data: unknown): Message => createMessage(type, data);
