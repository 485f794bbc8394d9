import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isSqlError } from '../errors.js';
import { deferred, driverError, FakePgConnection, FakePgPool } from './pgFakes.fixture.js';
import { FROM_PG_POOL_DEFAULTS, fromPgPool } from './pgPoolClient.js';
import type { PgPoolLike } from './pgPoolClient.js';

const asPool = (pool: object): PgPoolLike => pool as unknown as PgPoolLike;

describe('fromPgPool options', () => {
  it('lists every bad option in one ValidationError', () => {
    let caught: unknown;
    try {
      fromPgPool(asPool(new FakePgPool()), {
        reconnectDelayMs: 0,
        maxReconnectDelayMs: Number.NaN,
        clock: {} as never,
        ownsPool: 'yes' as never,
      });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    const message = (caught as Error).message;
    for (const option of ['reconnectDelayMs', 'maxReconnectDelayMs', 'clock', 'ownsPool'])
      expect(message).toContain(option);
  });

  it('needs only sleep of its clock (to wait before listening again)', async () => {
    const client = fromPgPool(asPool(new FakePgPool()), { clock: { sleep: async () => {} } as never });
    await client.close();
    expect(() => fromPgPool(asPool(new FakePgPool()), { clock: { now: () => 0 } as never })).toThrow(
      /clock: must be a Clock \(with sleep\)/,
    );
  });

  it('refuses a missing pool and a maximum delay below the first one', () => {
    expect(() => fromPgPool(undefined as never)).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() =>
      fromPgPool(asPool(new FakePgPool()), { reconnectDelayMs: 500, maxReconnectDelayMs: 100 }),
    ).toThrow('must be >= reconnectDelayMs');
  });

  it('keeps the defaults for options given as undefined, and accepts the defaults given explicitly', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool), {
      ownsPool: undefined,
      clock: undefined,
      reconnectDelayMs: undefined,
      maxReconnectDelayMs: undefined,
    });
    await client.close();
    expect(pool.ended).toBe(1);
    expect(() => fromPgPool(asPool(new FakePgPool()), { ...FROM_PG_POOL_DEFAULTS })).not.toThrow();
  });
});

describe('fromPgPool statements', () => {
  it('ends a wait for a free connection on abort, and hands the late connection back unused', async () => {
    const pool = new FakePgPool();
    const gate = deferred();
    pool.gate = gate.promise;
    const client = fromPgPool(asPool(pool));
    const controller = new AbortController();
    const waiting = client.query('SELECT 1', [], { signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    gate.resolve();
    await expect.poll(() => pool.connection.releases).toEqual([undefined]);
    expect(pool.connection.statements).toEqual([]);
  });

  it('ends a transaction’s wait for a free connection on abort', async () => {
    const pool = new FakePgPool();
    pool.gate = new Promise(() => undefined);
    const controller = new AbortController();
    const waiting = fromPgPool(asPool(pool)).transaction(async () => 1, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('absorbs an error event while a connection is held and destroys that connection', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool));
    const lost = driverError('terminating connection due to administrator command', '57P01');
    await client.transaction(async (tx) => {
      await tx.query('SELECT 1');
      pool.connection.emit('error', lost);
    });
    expect(pool.connection.releases).toEqual([lost]);
    expect(pool.connection.listenerTotal()).toBe(0);
  });

  it('hands a connection back healthy after an SQL error, and destroys it after a connection error', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool));
    pool.connection.failures.set('SELECT bad', driverError('syntax error', '42601'));
    pool.connection.failures.set('SELECT gone', driverError('Connection terminated unexpectedly'));
    expect(isSqlError(await client.query('SELECT bad').catch((e: unknown) => e), '42601')).toBe(true);
    expect(isSqlError(await client.query('SELECT gone').catch((e: unknown) => e))).toBe(true);
    expect(pool.connection.releases[0]).toBe(false);
    expect(pool.connection.releases[1]).toBeInstanceOf(Error);
  });

  it('keeps the connection of a transaction whose callback throws, after rolling back', async () => {
    const pool = new FakePgPool();
    const boom = new Error('boom');
    await expect(
      fromPgPool(asPool(pool)).transaction(async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(pool.connection.statements).toEqual(['BEGIN', 'ROLLBACK']);
    expect(pool.connection.releases).toEqual([false]);
  });
});

describe('fromPgPool listen on a borrowed connection (a pool without a Client class)', () => {
  it('leaves the borrowed connection exactly as found after many listen/close cycles', async () => {
    const pool = new FakePgPool();
    const payloads: string[] = [];
    for (let cycle = 0; cycle < 24; cycle++) {
      const client = fromPgPool(asPool(pool), { ownsPool: false });
      await client.listen('orders', (payload) => payloads.push(payload));
      pool.connection.emit('notification', { channel: 'orders', payload: String(cycle) });
      await client.close();
      expect(pool.connection.listenerTotal()).toBe(0);
    }
    expect(payloads).toHaveLength(24);
    expect(pool.connection.statements.filter((sql) => sql === 'UNLISTEN *')).toHaveLength(24);
    expect(pool.connection.releases).toEqual(Array.from({ length: 24 }, () => undefined));
    expect(pool.ended).toBe(0);
  });

  it('gives the connection back as soon as nothing listens, UNLISTENed', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool), { ownsPool: false });
    const stop = await client.listen('orders', () => undefined);
    await stop();
    expect(pool.connection.statements).toEqual(['LISTEN "orders"', 'UNLISTEN *']);
    expect(pool.connection.releases).toEqual([undefined]);
    expect(pool.connection.listenerTotal()).toBe(0);
    await client.close();
  });

  it('destroys the borrowed connection instead when UNLISTEN * fails', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool), { ownsPool: false });
    await client.listen('orders', () => undefined);
    const failure = driverError('UNLISTEN failed', 'XX000');
    pool.connection.failures.set('UNLISTEN *', failure);
    await client.close();
    expect(pool.connection.releases).toEqual([failure]);
    expect(pool.connection.listenerTotal()).toBe(0);
  });

  it('destroys the borrowed connection at once when it breaks, removing every listener', async () => {
    const pool = new FakePgPool();
    const client = fromPgPool(asPool(pool), {
      ownsPool: false,
      reconnectDelayMs: 60_000,
      maxReconnectDelayMs: 60_000,
    });
    await client.listen('orders', () => undefined);
    const lost = driverError('terminating connection due to administrator command', '57P01');
    pool.connection.emit('error', lost);
    expect(pool.connection.releases).toEqual([lost]);
    expect(pool.connection.listenerTotal()).toBe(0);
    await client.close();
  });
});

describe('fromPgPool listen on a dedicated connection (a pg.Pool)', () => {
  class FakeClient extends FakePgConnection {
    static made: { config: object; client: FakeClient }[] = [];
    connected = 0;
    ended = 0;
    constructor(config: object) {
      super();
      FakeClient.made.push({ config, client: this });
    }
    async connect(): Promise<void> {
      this.connected++;
    }
    async end(): Promise<void> {
      this.ended++;
    }
  }

  it('makes its own client from the pool’s options and never takes a pooled connection', async () => {
    const pool = Object.assign(new FakePgPool(), { Client: FakeClient, options: { max: 1, host: 'db' } });
    const client = fromPgPool(asPool(pool), { ownsPool: false });
    const payloads: string[] = [];
    await client.listen('orders', (payload) => payloads.push(payload));
    const [made] = FakeClient.made;
    expect(made?.config).toBe(pool.options);
    made?.client.emit('notification', { channel: 'orders', payload: 'x' });
    expect(payloads).toEqual(['x']);
    expect(pool.connects).toBe(0);
    await client.close();
    expect(made?.client.ended).toBe(1);
    expect(made?.client.listenerCount('notification')).toBe(0);
    // Late errors of the discarded client are absorbed instead of crashing the process.
    expect(() => made?.client.emit('error', new Error('late'))).not.toThrow();
  });
});
