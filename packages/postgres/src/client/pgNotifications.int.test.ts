import { createLogger, ManualClock } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deferred } from './pgFakes.fixture.js';
import { fromPgPool } from './pgPoolClient.js';
import type { PgPoolLike } from './pgPoolClient.js';
import type { SqlClient } from './sqlClient.js';

const up = await serviceAvailable('postgres');

function recorder(): { payloads: string[]; listener: (payload: string) => void } {
  const payloads: string[] = [];
  return { payloads, listener: (payload) => payloads.push(payload) };
}

function newPool(max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: serviceUrl('postgres'), max, idleTimeoutMillis: 0 });
  pool.on('error', () => undefined);
  return pool;
}

/** Sends a notification until every recorder got it (a notification sent before LISTEN is lost). */
async function deliver(client: SqlClient, channel: string, payload: string, ...to: { payloads: string[] }[]) {
  await expect
    .poll(async () => {
      await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
      return to.every((target) => target.payloads.includes(payload));
    })
    .toBe(true);
}

/** Each pooled connection's listener counts and LISTENed channels, checked out all at once. */
async function pooledState(pool: pg.Pool, max: number): Promise<string[]> {
  const connections = await Promise.all(Array.from({ length: max }, () => pool.connect()));
  try {
    const states = await Promise.all(
      connections.map(async (connection) => {
        const counts = ['notification', 'error', 'end'].map((event) => connection.listenerCount(event));
        const { rows } = await connection.query('SELECT count(*)::int AS n FROM pg_listening_channels()');
        return `${counts.join('/')} listening:${(rows[0] as { n: number }).n}`;
      }),
    );
    return states.sort();
  } finally {
    for (const connection of connections) connection.release();
  }
}

describe.runIf(up)('listen on a real PostgreSQL server', () => {
  let warnings: Error[];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('keeps delivering after pg_terminate_backend to listeners from before and after the drop', async () => {
    const pool = newPool(2);
    const clock = new ManualClock();
    const logs: LogEntry[] = [];
    const client = fromPgPool(pool, {
      ownsPool: false,
      clock,
      reconnectDelayMs: 100,
      logger: createLogger((entry) => logs.push(entry), { level: 'debug' }),
    });
    const channel = uniqueName('keel_drop');
    const before = recorder();
    const leaving = recorder();
    await client.listen(channel, before.listener);
    const stopLeaving = await client.listen(channel, leaving.listener);
    await deliver(client, channel, 'first', before, leaving);

    const { rows } = await client.query<{ done: boolean }>(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE query = $1',
      [`LISTEN "${channel}"`],
    );
    expect(rows).toEqual([{ done: true }]);
    await expect
      .poll(() => logs.some((entry) => entry.message.includes('LISTEN connection was lost')))
      .toBe(true);

    const after = recorder();
    await client.listen(channel, after.listener); // registered while the client is reconnecting
    await expect(stopLeaving()).resolves.toBeUndefined(); // the old listener stops quietly
    await clock.tickAsync(100); // the backoff wait: the client connects and LISTENs again
    await expect.poll(() => after.payloads).toContain('');
    await deliver(client, channel, 'later', before, after);
    // Woken once each after listening again; the stopped listener hears nothing more.
    expect(before.payloads.filter((payload) => payload === '')).toEqual(['']);
    expect(after.payloads.filter((payload) => payload === '')).toEqual(['']);
    expect(leaving.payloads.every((payload) => payload === 'first')).toBe(true);
    await client.close();
    expect(await pooledState(pool, 2)).toEqual(['0/0/0 listening:0', '0/0/0 listening:0']);
    await pool.end();
  });

  it('leaves a shared pg.Pool’s connections as found after many open/listen/close cycles', async () => {
    const pool = newPool(2);
    const baseline = await pooledState(pool, 2);
    for (let cycle = 0; cycle < 24; cycle++) {
      const client = fromPgPool(pool, { ownsPool: false });
      const channel = uniqueName('keel_cycle');
      const received = recorder();
      await client.listen(channel, received.listener);
      await client.transaction(async (tx) => tx.query('SELECT pg_notify($1, $2)', [channel, 'x']));
      await expect.poll(() => received.payloads).toEqual(['x']);
      await client.close();
    }
    expect(await pooledState(pool, 2)).toEqual(baseline);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    await pool.end();
  });

  it('hands a borrowed connection back UNLISTENed and without listeners (a pool without a Client class)', async () => {
    const pool = newPool(2);
    const borrowedOnly: PgPoolLike = { connect: () => pool.connect(), end: () => pool.end() };
    const baseline = await pooledState(pool, 2);
    for (let cycle = 0; cycle < 24; cycle++) {
      const client = fromPgPool(borrowedOnly, { ownsPool: false });
      const channel = uniqueName('keel_borrow');
      const received = recorder();
      await client.listen(channel, received.listener);
      await deliver(client, channel, 'x', received);
      await client.close();
    }
    expect(await pooledState(pool, 2)).toEqual(baseline);
    expect(baseline).toEqual(['0/0/0 listening:0', '0/0/0 listening:0']);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    await pool.end();
  });

  it('listens on a pool of one connection while statements still get that connection', async () => {
    const pool = newPool(1);
    const client = fromPgPool(pool);
    const channel = uniqueName('keel_single');
    const received = recorder();
    await client.listen(channel, received.listener);
    await client.query('SELECT pg_notify($1, $2)', [channel, 'one']);
    await expect.poll(() => received.payloads).toEqual(['one']);
    await client.close();
  });

  it('ends a wait for the only connection of a pool of one on abort', async () => {
    const pool = newPool(1);
    const client = fromPgPool(pool);
    const held = deferred();
    const holding = client.transaction(async (tx) => {
      await tx.query('SELECT 1');
      await held.promise;
    });
    const controller = new AbortController();
    const waiting = client.query('SELECT 2', [], { signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    held.resolve();
    await holding;
    expect((await client.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    await client.close();
  });
});
