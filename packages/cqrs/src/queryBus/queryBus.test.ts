import { createQuery } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isDuplicateHandlerError, isNoHandlerError } from '../errors/errors.js';
import type { Middleware } from '../middleware/middleware.js';
import { createQueryBus } from './queryBus.js';

interface Queries {
  Balance: { data: { accountId: string }; result: number };
}

describe('QueryBus', () => {
  it('answers a query with its handler result', async () => {
    const balances = new Map([['a-1', 70]]);
    const bus = createQueryBus<Queries>();
    bus.register('Balance', ({ data }) => balances.get(data.accountId) ?? 0);
    await expect(bus.execute(createQuery('Balance', { accountId: 'a-1' }))).resolves.toBe(70);
    await expect(bus.send('Balance', { accountId: 'a-2' })).resolves.toBe(0);
  });

  it('rejects a query without a handler with a NoHandlerError of kind query', async () => {
    const bus = createQueryBus<Queries>();
    const error = await bus.send('Balance', { accountId: 'a-1' }).catch((e: unknown) => e);
    expect(isNoHandlerError(error) && error.kind === 'query' && error.messageType === 'Balance').toBe(true);
  });

  it('rejects a second handler for the same query type', () => {
    const bus = createQueryBus<Queries>();
    bus.register('Balance', () => 1);
    expect(() => bus.register('Balance', () => 2)).toThrow(
      expect.objectContaining({ code: 'CQRS_DUPLICATE_HANDLER' }),
    );
    expect(isDuplicateHandlerError(new Error('x'))).toBe(false);
  });

  it('passes queries through its middleware with kind query', async () => {
    const kinds: string[] = [];
    const spy: Middleware = (context, next) => {
      kinds.push(context.kind);
      return next();
    };
    const bus = createQueryBus<Queries>().use(spy);
    bus.register('Balance', () => 1);
    await bus.send('Balance', { accountId: 'a' });
    expect(kinds).toEqual(['query']);
  });
});
