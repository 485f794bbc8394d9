import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withSpan } from '@keel/core';
import { fromPglite, migrate } from '@keel/postgres';
import { PostgresSagaStore } from '@keel/postgres/saga';
import type { SqlClient } from '@keel/postgres';
import { CrashingSagaStore, isSimulatedCrashError } from '@keel/saga/testing';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { LEASE_MS, orderWorld, start } from './sagaWorld.fixture.js';

let client: SqlClient;
beforeAll(async () => {
  client = fromPglite(await PGlite.create());
  await migrate(client, { schema: 'saga_otel' });
});
afterAll(() => client.close());

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

describe('saga instrumentation on the PostgreSQL saga store', () => {
  it('keeps the trace context through a crash, so the recovered steps join the original trace', async () => {
    const world = orderWorld();
    const store = new PostgresSagaStore(client, { schema: 'saga_otel' });
    // Writes: 1 create, 2 reserve started, 3 reserve completed, 4 pay started (then the crash).
    const crashing = new CrashingSagaStore(store, { atWrite: 4, mode: 'after' });
    const failure = await withSpan('request', {}, () =>
      start(world.orchestrator(crashing, 'crashed')).then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(isSimulatedCrashError(failure)).toBe(true);
    await world.clock.tickAsync(LEASE_MS);
    const report = await world.orchestrator(store, 'survivor').recover();
    expect(report.outcomes).toMatchObject([{ sagaId: 's-1', status: 'completed' }]);
    const { traceId } = kit.span('request').spanContext();
    for (const name of ['saga step pay', 'saga step ship']) {
      expect(kit.span(name).spanContext().traceId).toBe(traceId);
    }
    const record = await store.get('s-1');
    expect(record?.history[0]).toMatchObject({
      type: 'sagaStarted',
      trace: { traceparent: expect.stringContaining(traceId) },
    });
  });
});
