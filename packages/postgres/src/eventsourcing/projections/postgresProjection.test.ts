import { isValidationError } from '@keel/core';
import type { Projection } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { definePostgresProjection } from './postgresProjection.js';
import { postgresProjectionBehaviour } from './postgresProjection.suite.js';
import { PostgresProjectionCheckpoints } from './postgresProjectionCheckpoints.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

postgresProjectionBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

function refusal(define: () => unknown): string {
  try {
    define();
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('definePostgresProjection', () => {
  it('subscribes to exactly the handled types and marks itself as needing a transaction', () => {
    const projection = definePostgresProjection<{ type: 'A' | 'B'; data: unknown }>({
      name: 'p',
      handlers: { A: () => {} },
      streamPrefix: 'acc-',
    });
    expect(projection.filter).toEqual({ eventTypes: ['A'], streamPrefix: 'acc-' });
    expect(projection.requiresTransaction).toBe(true);
    expect(projection.handleBatch).toBeUndefined();
  });

  it('delivers every type to a batch handler unless eventTypes narrows it', () => {
    const all = definePostgresProjection({ name: 'all', handleBatch: () => {} });
    expect(all.filter).toEqual({});
    const some = definePostgresProjection<{ type: 'A' | 'B'; data: unknown }>({
      name: 'some',
      handleBatch: () => {},
      eventTypes: ['B'],
    });
    expect(some.filter).toEqual({ eventTypes: ['B'] });
  });

  it('refuses both or neither of handlers and handleBatch, a non-function handler and an empty name', () => {
    expect(refusal(() => definePostgresProjection({ name: 'none' }))).toMatch(/handlers: must be given/);
    expect(
      refusal(() => definePostgresProjection({ name: 'both', handlers: {}, handleBatch: () => {} })),
    ).toMatch(/exactly one of the two/);
    expect(
      refusal(() =>
        definePostgresProjection({
          name: 'bad',
          handlers: { A: 'nope' } as unknown as Record<string, never>,
        }),
      ),
    ).toMatch(/handlers\.A: must be a function/);
    expect(refusal(() => definePostgresProjection({ name: '', handleBatch: () => {} }))).toMatch(/name/);
  });

  it('finds its own handler for an event type named like an Object.prototype member', async () => {
    const seen: string[] = [];
    const projection: Projection = definePostgresProjection<{ type: 'toString' | 'other'; data: unknown }>({
      name: 'proto',
      handlers: { toString: (event: { type: string }) => void seen.push(event.type) },
    });
    const tx = { inTransaction: true, query: () => Promise.resolve({ rows: [], rowCount: 0 }) };
    const context = { signal: new AbortController().signal, transaction: tx };
    const event = (type: string) =>
      ({ type, data: {}, globalPosition: 1, streamName: 's', streamVersion: 1 }) as never;
    await projection.handle(event('toString'), context);
    await projection.handle(event('constructor'), context);
    expect(seen).toEqual(['toString']);
  });

  it('refuses to run a handler without the runner transaction, saying what to pass', async () => {
    const projection = definePostgresProjection({ name: 'p', handleBatch: () => {} });
    const error = await Promise.resolve(
      projection.handle({} as never, { signal: new AbortController().signal }),
    ).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/PostgresProjectionCheckpoints/);
  });
});

describe('PostgresProjectionCheckpoints', () => {
  it('refuses an unknown isolation level', () => {
    expect(refusal(() => new PostgresProjectionCheckpoints(client, { isolation: 'dirty' as never }))).toMatch(
      /isolation/,
    );
  });

  it('rolls back the work of a transaction whose signal aborts before the commit', async () => {
    const schema = await freshSchema(client);
    const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
    const controller = new AbortController();
    await expect(
      checkpoints.inTransaction(
        async (scope) => {
          await scope.checkpoints.save('p', 7);
          controller.abort(new Error('stopped'));
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('stopped');
    expect(await checkpoints.load('p')).toBeUndefined();
  });
});
