import { isValidationError, ManualClock } from '@keel/core';
import type { Projection } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { definePostgresProjection } from '../projections/postgresProjection.js';
import { ProjectionDaemon } from './projectionDaemon.js';
import { PROJECTION_DAEMON_DEFAULTS } from './projectionDaemonOptions.js';
import { projectionDaemonBehaviour } from './projectionDaemon.suite.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

projectionDaemonBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('ProjectionDaemon options', () => {
  const projection = (name: string) => definePostgresProjection({ name, handleBatch: () => {} });
  const store = () => new PostgresEventStore(client, { notify: false });
  const refusal = (create: () => unknown): string => {
    try {
      create();
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected a ValidationError');
  };

  it('lists every refused option and projection in one ValidationError', () => {
    const message = refusal(
      () =>
        new ProjectionDaemon(client, store(), [projection('p'), projection('p'), {} as Projection], {
          leaseTtlMs: 1,
          heartbeatMs: 0.5,
          isolation: 'dirty' as never,
          clock: {} as ManualClock,
        }),
    );
    for (const path of [
      'leaseTtlMs',
      'heartbeatMs',
      'isolation',
      'clock',
      'projections: ',
      'projections.2',
    ]) {
      expect(message).toContain(path);
    }
  });

  it('needs a clock with now and setTimeout and a logger with debug, info, warn, error and child', () => {
    const noop = (): void => {};
    const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
    const clock = { now: () => 0, setTimeout: () => ({ cancel: noop }) };
    expect(
      () => new ProjectionDaemon(client, store(), [projection('p')], { clock: clock as never, logger }),
    ).not.toThrow();
    const withoutDebug = { info: noop, warn: noop, error: noop, child: () => logger };
    expect(
      refusal(
        () => new ProjectionDaemon(client, store(), [projection('p')], { logger: withoutDebug as never }),
      ),
    ).toMatch(/logger: must be a Logger \(with debug, info, warn, error, child\)/);
  });

  it('refuses a heartbeat that is not below the lease ttl', () => {
    expect(
      refusal(
        () => new ProjectionDaemon(client, store(), [projection('p')], { leaseTtlMs: 100, heartbeatMs: 100 }),
      ),
    ).toMatch(/heartbeatMs: must be below leaseTtlMs \(100\)/);
  });

  it('refuses bad runner options of a projection at construction', () => {
    expect(
      refusal(
        () =>
          new ProjectionDaemon(client, store(), [{ projection: projection('p'), runner: { batchSize: 0 } }]),
      ),
    ).toMatch(/batchSize/);
  });

  it('keeps every default when options are undefined', () => {
    const daemon = new ProjectionDaemon(client, store(), [projection('p')], {
      name: undefined,
      schema: undefined,
      ownerId: undefined,
      leaseTtlMs: undefined,
      heartbeatMs: undefined,
      isolation: undefined,
      runner: undefined,
      clock: undefined,
      logger: undefined,
    });
    expect(daemon.name).toBe(PROJECTION_DAEMON_DEFAULTS.name);
    expect(daemon.ownerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(daemon.health()).toMatchObject({ status: 'idle', healthy: false, ready: false });
  });

  it('refuses a negative stop deadline and stops a daemon that never started', async () => {
    const daemon = new ProjectionDaemon(client, store(), [projection('p')]);
    await expect(daemon.stop({ deadline: -1 })).rejects.toSatisfy(isValidationError);
    await daemon.stop({ deadline: undefined });
    expect(daemon.health().status).toBe('stopped');
  });

  it('rejects start with the abort reason of an aborted signal', async () => {
    const daemon = new ProjectionDaemon(client, store(), [projection('p')]);
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(daemon.start(controller.signal)).rejects.toThrow('shutting down');
    expect(daemon.health().status).toBe('idle');
  });

  it('takes each lease once when started twice at the same time', async () => {
    const schema = await freshSchema(client);
    const clock = new ManualClock();
    const daemon = new ProjectionDaemon(
      client,
      new PostgresEventStore(client, { schema }),
      [projection('p')],
      {
        schema,
        clock,
      },
    );
    await Promise.all([daemon.start(), daemon.start()]);
    await daemon.start();
    expect(daemon.projections()[0]).toMatchObject({ owned: true, token: 1 });
    expect(daemon.health().details).toMatchObject({ heartbeats: 1 });
    await daemon.stop();
  });
});
