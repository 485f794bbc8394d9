import { createCommand, ManualClock } from '@keel/core';
import { createCommandBus, idempotencyMiddleware } from '@keel/cqrs';
import { idempotencyStoreContract } from '@keel/cqrs/testing';
import { describe, expect, it } from 'vitest';
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

async function tokenOf(store: PostgresIdempotencyStore, key: string, leaseMs: number): Promise<string> {
  const claim = await store.claim(key, leaseMs);
  if (claim.status !== 'claimed') throw new Error(`"${key}" was ${claim.status}`);
  return claim.token;
}

function defineStoreTests(setup: Setup): void {
  it('forgets a result after ttlMs and purges expired entries', async () => {
    const { store, clock } = await setup(1_000);
    await store.complete('old', await tokenOf(store, 'old', 500), 1);
    await tokenOf(store, 'abandoned', 100);
    clock.advance(1_000);
    await tokenOf(store, 'live', 500);
    expect(await store.purgeExpired()).toBe(2);
    expect((await store.claim('old', 500)).status).toBe('claimed');
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

  it('runs a command once when two buses sharing the store receive it at the same time', async () => {
    const { client, schema } = await setup();
    let runs = 0;
    const bus = () => {
      const store = new PostgresIdempotencyStore(client, { schema });
      const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store, pollMs: 5 })] });
      commands.register('Pay', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return `receipt ${++runs}`;
      });
      return commands;
    };
    const command = createCommand('Pay', { amount: 5 });
    const results = await Promise.all([bus().execute(command), bus().execute(command)]);
    expect(results).toEqual(['receipt 1', 'receipt 1']);
    expect(runs).toBe(1);
  });
}

/**
 * Test helper: {@link PostgresIdempotencyStore} against the cqrs `idempotencyStoreContract`
 * and its own behaviour, run on PGlite (unit tests) and PostgreSQL (integration tests).
 * `fresh` returns a client and a migrated schema.
 */
export function idempotencyStoreBehaviour(name: string, fresh: Fresh): void {
  idempotencyStoreContract(`PostgresIdempotencyStore ${name}`, async (clock) => {
    const { client, schema } = await fresh();
    return new PostgresIdempotencyStore(client, { schema, clock });
  });
  describe(`PostgresIdempotencyStore: ${name}`, () => defineStoreTests(setupWith(fresh)));
}
