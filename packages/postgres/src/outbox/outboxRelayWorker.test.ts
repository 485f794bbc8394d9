import { eventPublisher, isValidationError } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { OutboxRelayWorker } from './outboxRelayWorker.js';
import { outboxRelayWorkerBehaviour } from './outboxRelayWorker.suite.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

outboxRelayWorkerBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('OutboxRelayWorker options', () => {
  const publisher = eventPublisher(() => {});

  it('lists every refused worker option in one ValidationError', () => {
    let caught: unknown;
    try {
      new OutboxRelayWorker(client, publisher, {
        ownerTtlMs: 1,
        heartbeatMs: 0,
        exclusive: 'yes' as never,
        name: '',
      });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    for (const path of ['ownerTtlMs', 'heartbeatMs', 'exclusive', 'name']) {
      expect((caught as Error).message).toContain(path);
    }
  });

  it('refuses bad relay options and a heartbeat not below the ownership ttl', () => {
    expect(() => new OutboxRelayWorker(client, publisher, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new OutboxRelayWorker(client, publisher, { ownerTtlMs: 50, heartbeatMs: 50 })).toThrow(
      /heartbeatMs: must be below ownerTtlMs \(50\)/,
    );
  });

  it('refuses an exclusive ownership that could run out before its claims, naming leaseMs', () => {
    expect(
      () => new OutboxRelayWorker(client, publisher, { ownerTtlMs: 500, heartbeatMs: 100, leaseMs: 3_000 }),
    ).toThrow(/ownerTtlMs: must be at least leaseMs \(3000\) when exclusive/);
    // Left to its default, ownership follows a longer lease instead of refusing it.
    expect(new OutboxRelayWorker(client, publisher, { leaseMs: 60_000 }).name).toBe('outbox-relay:default');
    expect(
      new OutboxRelayWorker(client, publisher, {
        exclusive: false,
        ownerTtlMs: 500,
        heartbeatMs: 100,
        leaseMs: 3_000,
      }).name,
    ).toBe('outbox-relay:default');
    expect(
      new OutboxRelayWorker(client, publisher, { ownerTtlMs: 3_000, heartbeatMs: 1_000, leaseMs: 3_000 })
        .name,
    ).toBe('outbox-relay:default');
  });

  it('refuses fractional and huge millisecond options', () => {
    for (const options of [
      { ownerTtlMs: 1_000.5 },
      { heartbeatMs: 0.5 },
      { ownerTtlMs: 1e300 },
      { heartbeatMs: 2 ** 31, ownerTtlMs: 2 ** 40 },
      { pollIntervalMs: 2 ** 31 },
      { leaseMs: 0.5 },
    ]) {
      expect(() => new OutboxRelayWorker(client, publisher, options)).toThrow(
        new RegExp(`${Object.keys(options)[0]!}: must be an integer`),
      );
    }
  });

  it('refuses a logger without info, which it logs a taken topic at, naming the worker', () => {
    const noop = (): void => {};
    expect(
      () =>
        new OutboxRelayWorker(client, publisher, {
          logger: { debug: noop, warn: noop, error: noop } as never,
        }),
    ).toThrow(
      /Invalid OutboxRelayWorker options[\s\S]*logger: must be a Logger \(with debug, info, warn, error\)/,
    );
  });

  it('keeps every default when options are undefined', () => {
    const worker = new OutboxRelayWorker(client, publisher, {
      name: undefined,
      topic: undefined,
      exclusive: undefined,
      ownerTtlMs: undefined,
      heartbeatMs: undefined,
      batchSize: undefined,
      clock: undefined,
    });
    expect(worker.name).toBe('outbox-relay:default');
    expect(worker.health()).toMatchObject({
      status: 'idle',
      ready: false,
      details: { exclusive: true, topic: 'default' },
    });
  });

  it('refuses a negative stop deadline and stops a relay that never started', async () => {
    const worker = new OutboxRelayWorker(client, publisher);
    await expect(worker.stop({ deadline: -5 })).rejects.toSatisfy(isValidationError);
    await worker.stop();
    expect(worker.health().status).toBe('stopped');
  });
});
