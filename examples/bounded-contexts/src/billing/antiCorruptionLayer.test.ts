import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { translateSalesEvent } from './antiCorruptionLayer.js';
import { orderPlacedV2, salesMessage } from './fixtures.js';
import { isTranslationRefusedError } from './translationRefusedError.js';
import type { RefusalReason } from './translationRefusedError.js';

function refusal(type: string, data: unknown): unknown {
  try {
    translateSalesEvent(salesMessage(type, data));
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectRefused(type: string, data: unknown, reason: RefusalReason) {
  const error = refusal(type, data);
  expect(isTranslationRefusedError(error, reason)).toBe(true);
  return error as Error;
}

describe('translateSalesEvent', () => {
  it('translates OrderPlaced v2 into an IssueInvoice in Billing terms', () => {
    expect(translateSalesEvent(salesMessage('sales.OrderPlaced.v2', orderPlacedV2()))).toEqual({
      kind: 'command',
      command: {
        type: 'IssueInvoice',
        orderRef: 'S-1',
        payer: {
          accountId: 'ACC-C-1',
          legalName: 'Ann Smit',
          invoiceEmail: 'ann@example.com',
          paymentTermsDays: 30,
        },
        amountDue: { minor: 142_700, currency: 'EUR' },
        issuedOn: '2026-01-30',
        dueOn: '2026-03-01',
      },
    });
  });

  it('gives retail customers 14 days to pay', () => {
    const data = orderPlacedV2({ customer: { ...orderPlacedV2().customer, segment: 'retail' } });
    const translation = translateSalesEvent(salesMessage('sales.OrderPlaced.v2', data));
    expect(
      translation.kind === 'command' &&
        translation.command.type === 'IssueInvoice' &&
        translation.command.dueOn,
    ).toBe('2026-02-13');
  });

  it('translates the older OrderPlaced v1 (decimal total, no e-mail) into the same command', () => {
    const data = {
      orderId: 'S-2',
      customerId: 'C-7',
      customerName: 'Old Mill Ltd',
      total: '1427.05',
      currency: 'GBP',
    };
    const translation = translateSalesEvent(
      salesMessage('sales.OrderPlaced.v1', { ...data, placedAt: '2026-01-30T16:00:00Z' }),
    );
    expect(translation).toMatchObject({
      kind: 'command',
      command: {
        amountDue: { minor: 142_705, currency: 'GBP' },
        payer: { accountId: 'ACC-C-7', invoiceEmail: null, paymentTermsDays: 14 },
      },
    });
  });

  it('translates OrderCancelled v1 into a VoidInvoice', () => {
    const data = { orderId: 'S-1', reason: 'out of stock', cancelledAt: '2026-01-31T08:00:00Z' };
    expect(translateSalesEvent(salesMessage('sales.OrderCancelled.v1', data))).toEqual({
      kind: 'command',
      command: { type: 'VoidInvoice', orderRef: 'S-1', reason: 'order cancelled: out of stock' },
    });
  });

  it('ignores Sales events Billing does not consume and messages of other contexts', () => {
    expect(translateSalesEvent(salesMessage('sales.CartAbandoned.v1', {})).kind).toBe('ignored');
    expect(translateSalesEvent(salesMessage('shipping.ParcelSent.v1', {})).kind).toBe('ignored');
  });

  it('refuses a version it does not know, naming the ones it reads', () => {
    const error = expectRefused('sales.OrderPlaced.v3', orderPlacedV2(), 'unknown-version');
    expect(error.message).toMatch(/reads OrderPlaced v1 and v2, not "v3"/);
  });

  it.each([
    'sales.OrderPlaced',
    'sales.OrderPlaced.2',
    'sales.OrderPlaced.v2.beta',
    'sales.OrderCancelled.v2',
  ])('refuses the malformed or unknown version in %s', (type) => {
    expectRefused(type, orderPlacedV2(), 'unknown-version');
  });

  it('does not mistake an inherited property name for an event it consumes', () => {
    expect(translateSalesEvent(salesMessage('sales.constructor.v1', {})).kind).toBe('ignored');
  });

  it('refuses data with missing fields and lists every one', () => {
    const { totalMinor: _total, ...withoutTotal } = orderPlacedV2();
    const data = { ...withoutTotal, customer: { ...withoutTotal.customer, email: undefined } };
    const error = expectRefused('sales.OrderPlaced.v2', data, 'invalid-payload');
    expect(error.message).toMatch(/customer\.email: .*totalMinor: /);
    expect(isValidationError(error.cause)).toBe(true);
  });

  it('refuses data that is not an object at all', () => {
    expectRefused('sales.OrderCancelled.v1', null, 'invalid-payload');
  });

  it('refuses a currency Billing cannot invoice', () => {
    const error = expectRefused(
      'sales.OrderPlaced.v2',
      orderPlacedV2({ currency: 'USD' }),
      'unsupported-currency',
    );
    expect(error.message).toMatch(/Billing invoices in EUR and GBP, not USD/);
  });

  it('refuses a v1 event in a currency Billing cannot invoice', () => {
    const data = {
      orderId: 'S-2',
      customerId: 'C-7',
      customerName: 'Old Mill',
      total: '1.00',
      currency: 'JPY',
    };
    expectRefused(
      'sales.OrderPlaced.v1',
      { ...data, placedAt: '2026-01-30T16:00:00Z' },
      'unsupported-currency',
    );
  });

  it('refuses a total that does not match its lines', () => {
    const error = expectRefused(
      'sales.OrderPlaced.v2',
      orderPlacedV2({ totalMinor: 1 }),
      'inconsistent-amount',
    );
    expect(error.message).toMatch(/lines add up to 142700 but totalMinor is 1/);
  });

  it('refuses lines whose sum is beyond exact arithmetic', () => {
    const huge = { sku: 'X', quantity: 2 ** 30, unitPriceMinor: 2 ** 30 }; // each safe, the product is not
    expectRefused(
      'sales.OrderPlaced.v2',
      orderPlacedV2({ lines: [huge], totalMinor: Number.MAX_SAFE_INTEGER }),
      'inconsistent-amount',
    );
  });
});
