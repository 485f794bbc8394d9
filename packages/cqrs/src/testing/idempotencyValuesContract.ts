import { isSerializationError } from '@keel/core';
import { expect, it } from 'vitest';
import type { IdempotencyClaim } from '../idempotency/idempotencyStore.js';
import { claimToken } from './idempotencyContractSetup.js';
import type { Setup } from './idempotencyContractSetup.js';

/** How results are kept, copied and refused, for `idempotencyStoreContract`. */
export function defineValueTests(setup: Setup): void {
  it('hands out copies: changing a stored or returned result changes nothing stored', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const result = { items: [{ qty: 1 }] };
    await store.complete('k', token, result);
    result.items[0]!.qty = 99;
    const first = (await store.claim('k', 500)) as Extract<IdempotencyClaim, { status: 'completed' }>;
    (first.result as typeof result).items.push({ qty: 2 });
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: { items: [{ qty: 1 }] } });
  });

  it('changes values as JSON does: a Date becomes its ISO string, a class instance a plain object', async () => {
    const { store } = await setup();
    class Receipt {
      constructor(readonly amount: number) {}
    }
    const token = await claimToken(store, 'k');
    await store.complete('k', token, { at: new Date(0), receipt: new Receipt(5), skipped: undefined });
    const claim = await store.claim('k', 500);
    expect(claim).toEqual({
      status: 'completed',
      result: { at: '1970-01-01T00:00:00.000Z', receipt: { amount: 5 } },
    });
    expect((claim as { result: { receipt: object } }).result.receipt.constructor).toBe(Object);
  });

  it('refuses what PostgreSQL cannot hold with a SerializationError before changing anything', async () => {
    const { store } = await setup();
    const refused: unknown[] = [
      { text: 'nul\u0000' },
      { text: 'lone \uDC00' },
      { amount: 1n },
      { ratio: Number.NaN },
      { lookup: new Map([['a', 1]]) },
      { tags: new Set(['a']) },
    ];
    const token = await claimToken(store, 'k');
    for (const value of refused) {
      const error = await store.complete('k', token, value).catch((caught: unknown) => caught);
      expect(isSerializationError(error)).toBe(true);
      expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    }
    expect(await store.complete('k', token, { ok: true })).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: { ok: true } });
  });
}
