import { createEvent, eventPublisher, ManualClock } from '@keel/core';
import type { Message } from '@keel/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { PostgresOutbox } from './postgresOutbox.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

type Operation =
  | { readonly kind: 'commit' | 'rollback'; readonly count: number }
  | { readonly kind: 'dispatch'; readonly relay: number }
  | { readonly kind: 'brokerDown'; readonly failures: number }
  | { readonly kind: 'wait'; readonly ms: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('commit' as const, 'rollback' as const),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('dispatch' as const), relay: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('brokerDown' as const), failures: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
);

/** An outbox with three relays and a broker that fails on demand, plus what the model expects. */
async function world() {
  const schema = await freshSchema(client);
  const clock = new ManualClock(0);
  const outbox = new PostgresOutbox(client, { schema, clock });
  const state = {
    delivered: [] as string[],
    committed: new Set<string>(),
    rolledBack: new Set<string>(),
    failing: 0,
  };
  const broker = eventPublisher(async (events: readonly Message[]) => {
    if (state.failing > 0 && state.failing--) throw new Error('broker down');
    state.delivered.push(...events.map((event) => event.metadata.messageId));
  });
  const relays = [0, 1, 2].map(() =>
    outbox.createRelay(broker, { batchSize: 3, baseDelayMs: 100, maxDelayMs: 1_000 }),
  );
  return { clock, outbox, state, relays };
}

type World = Awaited<ReturnType<typeof world>>;

async function enqueue({ outbox, state }: World, count: number, commit: boolean): Promise<void> {
  const batch = Array.from({ length: count }, () => createEvent('Happened', {}));
  await client
    .transaction(async (tx) => {
      await outbox.enqueue(tx, batch);
      if (!commit) throw new Error('rolled back');
    })
    .catch(() => undefined);
  for (const event of batch) (commit ? state.committed : state.rolledBack).add(event.metadata.messageId);
}

async function apply(w: World, step: Operation): Promise<void> {
  if (step.kind === 'dispatch') await w.relays[step.relay]!.dispatchOnce();
  else if (step.kind === 'brokerDown') w.state.failing = step.failures;
  else if (step.kind === 'wait') w.clock.advance(step.ms);
  else await enqueue(w, step.count, step.kind === 'commit');
}

/** Runs `operations`, then heals the broker and lets the relays drain the outbox. */
async function run(operations: readonly Operation[]) {
  const w = await world();
  for (const step of operations) await apply(w, step);
  w.state.failing = 0;
  w.clock.advance(10_000);
  while (
    (await Promise.all(w.relays.map((relay) => relay.dispatchOnce()))).some((result) => result.claimed > 0)
  );
  return { ...w.state, stats: await w.outbox.stats() };
}

describe('PostgresOutbox model', () => {
  it('delivers every committed message exactly once and no rolled-back one, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 25 }), async (operations) => {
        const { delivered, committed, rolledBack, stats } = await run(operations);
        expect(delivered).toHaveLength(committed.size);
        expect(new Set(delivered)).toEqual(committed);
        expect(delivered.some((id) => rolledBack.has(id))).toBe(false);
        expect(stats).toEqual({ pending: 0, dispatched: committed.size, failed: 0 });
      }),
      { seed: 7, numRuns: 50 },
    );
  });
});
