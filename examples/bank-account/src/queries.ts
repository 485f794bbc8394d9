import { NotFoundError } from '@keel/core';
import type { Disposer } from '@keel/core';
import { disposer } from '@keel/core';
import type { QueryBus } from '@keel/cqrs';
import { z } from 'zod';
import type { BalanceRow, BalancesReadModel } from './balances.js';

/** One zod schema per query, checked by the query bus's `validationMiddleware`. */
export const balanceQuerySchemas = {
  GetBalance: z.object({ accountId: z.string().min(1) }),
  ListBalances: z.object({ includeClosed: z.boolean().default(true) }),
  TotalHeld: z.object({}),
};

/** The query map of the bus: each query's data and its typed answer. */
export interface BalanceQueries {
  GetBalance: { data: z.input<typeof balanceQuerySchemas.GetBalance>; result: BalanceRow };
  ListBalances: { data: z.input<typeof balanceQuerySchemas.ListBalances>; result: readonly BalanceRow[] };
  TotalHeld: {
    data: z.input<typeof balanceQuerySchemas.TotalHeld>;
    result: { totalCents: number; accounts: number };
  };
}

/**
 * Registers the query handlers: they only read the balances read model, never the event store
 * or the aggregates (the read side of CQRS).
 *
 * @returns A disposer that unregisters every handler.
 */
export function registerBalanceQueryHandlers(
  bus: QueryBus<BalanceQueries>,
  balances: BalancesReadModel,
): Disposer {
  const disposers = [
    bus.register('GetBalance', ({ data }) => {
      const row = balances.get(data.accountId);
      if (row === undefined) throw new NotFoundError('Balance', data.accountId);
      return row;
    }),
    bus.register('ListBalances', ({ data }) =>
      balances.all().filter((row) => data.includeClosed !== false || !row.closed),
    ),
    bus.register('TotalHeld', () => ({ totalCents: balances.totalCents(), accounts: balances.all().length })),
  ];
  return disposer(() => {
    for (const dispose of disposers) dispose();
  });
}
