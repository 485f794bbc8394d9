import { createCommand, ManualClock } from '@keel/core';
import { createCommandBus, idempotencyMiddleware } from '@keel/cqrs';
import { describe, expect, it } from 'vitest';
import { isSerializationError } from '../client/errors.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { PostgresIdempotencyStore } from './postgresIdempotencyStore.js';

type Fresh = () => Promise<{ client: SqlExecutor; schema: string }>;

function setupWith(fresh: Fresh) {
  return async (ttlMs = 10_000) => {
    const { client, schema } = await fresh();
    const clock = new ManualClock(1_000_000);
    return { clock, store: new PostgresIdempotencyStore(client, { schema, clock, ttlMs }), client, schema };
  };
}
type Setup = ReturnType<typeof setupWith>;

function defineClaimTests(setup: Setup): void {
  it('claims a new key, then reports it pending to everyone else', async () => {
    const { store } = await setup();
    expect(await store.claim('k', 500)).toEqual({ status: 'claimed' });
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });

  it('gives a key to exactly one of many concurrent claimers', async () => {
    const { store } = await setup();
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim('k', 500)));
    expect(claims.filter((claim) => claim.status === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim.status === 'pending')).toHaveLength(7);
  });

  it('returns the completed result to later claims, undefined and null included', async () => {
    const { store } = await setup();
    for (const [key, result] of [
      ['a', { paid: 5 }],
      ['b', undefined],
      ['c', null],
    ] as const) {
      await store.claim(key, 500);
      await store.complete(key, result);
      expect(await store.claim(key, 500)).toEqual({ status: 'completed', result });
    }
  });

  it('frees a released claim so the next attempt runs, but keeps a completed result', async () => {
    const { store } = await setup();
    await store.claim('k', 500);
    await store.release('k');
    expect(await store.claim('k', 500)).toEqual({ status: 'claimed' });
    await store.complete('k', 'done');
    await store.release('k');
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'done' });
  });

  it('lets another worker take over a claim whose lease expired', async () => {
    const { store, clock } = await setup();
    await store.claim('k', 500);
    clock.advance(499);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    clock.advance(1);
    expect(await store.claim('k', 500)).toEqual({ status: 'claimed' });
  });
}

function defineResultTests(setup: Setup): void {
  it('forgets a result after ttlMs and purges expired entries', async () => {
    const { store, clock } = await setup(1_000);
    await store.claim('old', 500);
    await store.complete('old', 1);
    await store.claim('abandoned', 100);
    clock.advance(1_000);
    await store.claim('live', 500);
    expect(await store.purgeExpired()).toBe(2);
    expect(await store.claim('old', 500)).toEqual({ status: 'claimed' });
  });

  it('rejects a result that cannot be stored as JSON with a SerializationError', async () => {
    const { store } = await setup();
    await store.claim('k', 500);
    const error = await store.complete('k', { amount: 1n }).catch((caught: unknown) => caught);
    expect(isSerializationError(error)).toBe(true);
  });

  it('makes two command buses sharing the store run a repeated command once', async () => {
    const { client, schema } = await setup();
    let runs = 0;
    const bus = () => {
      const store = new PostgresIdempotencyStore(client, { schema });
      const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store })] });
      commands.register('Pay', async () => `receipt ${++runs}`);
      return commands;
    };
    const command = createCommand('Pay', { amount: 5 });
    const [first, second] = [bus(), bus()];
    expect(await first.execute(command)).toBe('receipt 1');
    expect(await second.execute(command)).toBe('receipt 1');
    expect(runs).toBe(1);
  });
}

/**
 * Test helper: the behaviour of {@link PostgresIdempotencyStore}, run against PGlite (unit
 * tests) and PostgreSQL (integration tests). `fresh` returns a client and a migrated schema.
 */
export function idempotencyStoreBehaviour(
  name: string,
  fresh: () => Promise<{ client: SqlExecutor; schema: string }>,
): void {
  const setup = setupWith(fresh);
  describe(`PostgresIdempotencyStore: ${name}`, () => {
    defineClaimTests(setup);
    defineResultTests(setup);
  });
}
