import assert from 'node:assert/strict';
import { isSerializationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import type { IdempotencyClaim } from '../idempotency/idempotencyStore.js';
import { assertEqual } from '@keel/core/testing';
import { claimToken } from './idempotencyContractSetup.js';
import type { Setup } from './idempotencyContractSetup.js';

/** How results are kept, copied and refused, for `idempotencyStoreContract`. */
export function defineValueTests({ it }: ContractRunner, setup: Setup): void {
  it('hands out copies: changing a stored or returned result changes nothing stored', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const result = { items: [{ qty: 1 }] };
    await store.complete('k', token, result);
    result.items[0]!.qty = 99;
    const first = (await store.claim('k', 500)) as Extract<IdempotencyClaim, { status: 'completed' }>;
    (first.result as typeof result).items.push({ qty: 2 });
    assertEqual(await store.claim('k', 500), { status: 'completed', result: { items: [{ qty: 1 }] } });
  });

  it('changes values as JSON does: a Date becomes its ISO string, a class instance a plain object', async () => {
    const { store } = await setup();
    class Receipt {
      constructor(readonly amount: number) {}
    }
    const token = await claimToken(store, 'k');
    await store.complete('k', token, { at: new Date(0), receipt: new Receipt(5), skipped: undefined });
    const claim = await store.claim('k', 500);
    assertEqual(claim, {
      status: 'completed',
      result: { at: '1970-01-01T00:00:00.000Z', receipt: { amount: 5 } },
    });
    assert.equal(
      (claim as { result: { receipt: object } }).result.receipt.constructor,
      Object,
      'the class instance came back as an instance, not a plain object',
    );
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
      assert.equal(isSerializationError(error), true, `expected a SerializationError, got ${String(error)}`);
      assertEqual(await store.claim('k', 500), { status: 'pending' });
    }
    assert.equal(
      await store.complete('k', token, { ok: true }),
      true,
      'complete by the holder after the refused results returned false',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: { ok: true } });
  });
}
