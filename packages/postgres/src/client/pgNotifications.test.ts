import { createLogger, ManualClock } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { isClientClosedError, isInvalidIdentifierError, isSqlError } from '../errors.js';
import { deferred, driverError, FakeConnector } from './pgFakes.fixture.js';
import { PgNotifications } from './pgNotifications.js';

const terminated = (): Error => driverError('terminating connection due to administrator command', '57P01');

let clock: ManualClock;
let connector: FakeConnector;
let logs: LogEntry[];
let notifications: PgNotifications;

beforeEach(() => {
  clock = new ManualClock();
  connector = new FakeConnector();
  logs = [];
  notifications = new PgNotifications(connector.connect, {
    clock,
    logger: createLogger((entry) => logs.push(entry), { level: 'debug' }),
    reconnectDelayMs: 100,
    maxReconnectDelayMs: 1_000,
  });
});

function recorder(): { payloads: string[]; listener: (payload: string) => void } {
  const payloads: string[] = [];
  return { payloads, listener: (payload) => payloads.push(payload) };
}

function notify(channel: string, payload: string): void {
  connector.current.handlers.notification({ channel, payload });
}

describe('PgNotifications: listening', () => {
  it('LISTENs once per channel and delivers each notification to every listener of it', async () => {
    const a = recorder();
    const b = recorder();
    await notifications.listen('orders', a.listener);
    await notifications.listen('orders', b.listener);
    notify('orders', 'x');
    notify('other', 'y');
    expect(connector.current.statements).toEqual(['LISTEN "orders"']);
    expect(a.payloads).toEqual(['x']);
    expect(b.payloads).toEqual(['x']);
  });

  it('treats the same function listened twice as two listeners, stopped one at a time', async () => {
    const a = recorder();
    const first = await notifications.listen('orders', a.listener);
    await notifications.listen('orders', a.listener);
    await first();
    await first();
    notify('orders', 'x');
    expect(a.payloads).toEqual(['x']);
    expect(connector.current.statements).toEqual(['LISTEN "orders"']);
  });

  it('UNLISTENs a channel nobody wants and lets the connection go when nothing listens', async () => {
    const stopOrders = await notifications.listen('orders', () => undefined);
    const stopCarts = await notifications.listen('carts', () => undefined);
    await stopOrders();
    expect(connector.current.statements).toEqual(['LISTEN "orders"', 'LISTEN "carts"', 'UNLISTEN "orders"']);
    expect(connector.current.disposed).toBe('no');
    await stopCarts();
    expect(connector.current.disposed).toBe('clean');
    await notifications.listen('orders', () => undefined);
    expect(connector.opened).toHaveLength(2);
  });

  it('refuses a channel that is not a plain identifier before connecting', async () => {
    const error = await notifications.listen('Bad-Name', () => undefined).catch((e: unknown) => e);
    expect(isInvalidIdentifierError(error)).toBe(true);
    expect(connector.attempts).toBe(0);
  });

  it('rejects with an SqlError and keeps nothing when the server cannot be reached', async () => {
    connector.failures.push(driverError('connect ECONNREFUSED'));
    const a = recorder();
    const error = await notifications.listen('orders', a.listener).catch((e: unknown) => e);
    expect(isSqlError(error)).toBe(true);
    await notifications.listen('carts', () => undefined);
    expect(connector.current.statements).toEqual(['LISTEN "carts"']);
  });

  it('rejects when the server refuses the LISTEN and keeps the connection for the others', async () => {
    const orders = recorder();
    await notifications.listen('orders', orders.listener);
    connector.current.failNext(
      'LISTEN "refused"',
      driverError('cannot execute LISTEN during recovery', '25006'),
    );
    const refusedListener = recorder();
    const refused = await notifications.listen('refused', refusedListener.listener).catch((e: unknown) => e);
    expect(isSqlError(refused, '25006')).toBe(true);
    notify('refused', 'x');
    notify('orders', 'y');
    expect(refusedListener.payloads).toEqual([]);
    expect(orders.payloads).toEqual(['y']);
    expect(connector.current.disposed).toBe('no');
    expect(connector.opened).toHaveLength(1);
  });

  it('lets the connection go when the only LISTEN is refused', async () => {
    connector.onOpen = (connection) =>
      connection.failNext('LISTEN', driverError('permission denied', '42501'));
    await expect(notifications.listen('refused', () => undefined)).rejects.toThrow('permission denied');
    expect(connector.current.disposed).toBe('clean');
  });

  it('keeps calling the other listeners when one throws, and logs it', async () => {
    const b = recorder();
    await notifications.listen('orders', () => {
      throw new Error('listener bug');
    });
    await notifications.listen('orders', b.listener);
    notify('orders', 'x');
    expect(b.payloads).toEqual(['x']);
    expect(logs.some((entry) => entry.level === 'error' && entry.fields.error === 'listener bug')).toBe(true);
  });
});

describe('PgNotifications: aborts and close', () => {
  it('ends the wait for the connection on abort and registers nothing', async () => {
    const gate = deferred();
    connector.gate = gate.promise;
    const controller = new AbortController();
    const a = recorder();
    const listening = notifications.listen('orders', a.listener, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(listening).rejects.toThrow('stop');
    gate.resolve();
    await notifications.close();
    expect(a.payloads).toEqual([]);
    expect(connector.opened.every((connection) => connection.disposed !== 'no')).toBe(true);
  });

  it('rejects at once on an already aborted signal without connecting', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(
      notifications.listen('orders', () => undefined, { signal: controller.signal }),
    ).rejects.toThrow('already');
    expect(connector.attempts).toBe(0);
  });

  it('close ends a connect in progress, and a listen after close is refused', async () => {
    connector.gate = new Promise(() => undefined);
    const listening = notifications.listen('orders', () => undefined).catch((e: unknown) => e);
    await Promise.resolve();
    await notifications.close();
    expect(isClientClosedError(await listening)).toBe(true);
    const after = await notifications.listen('orders', () => undefined).catch((e: unknown) => e);
    expect(isClientClosedError(after)).toBe(true);
  });

  it('close lets the connection go cleanly, and unlisten afterwards is quiet', async () => {
    const stop = await notifications.listen('orders', () => undefined);
    await notifications.close();
    await notifications.close();
    expect(connector.current.disposed).toBe('clean');
    await expect(stop()).resolves.toBeUndefined();
  });
});

describe('PgNotifications: losing the connection', () => {
  it('keeps every listener, listens again after the delay and wakes every listener once', async () => {
    const before = recorder();
    await notifications.listen('orders', before.listener);
    await notifications.listen('carts', before.listener);
    const first = connector.current;
    first.handlers.lost(terminated());
    expect(first.disposed).toBe('broken');

    const after = recorder();
    await notifications.listen('orders', after.listener); // resolves at once while reconnecting
    await clock.tickAsync(99);
    expect(connector.opened).toHaveLength(1);
    await clock.tickAsync(1);
    expect(connector.current).not.toBe(first);
    expect(connector.current.statements).toEqual(['LISTEN "orders"', 'LISTEN "carts"']);
    expect(before.payloads).toEqual(['', '']);
    expect(after.payloads).toEqual(['']);

    notify('orders', 'later');
    expect(before.payloads).toEqual(['', '', 'later']);
    expect(after.payloads).toEqual(['', 'later']);
  });

  it('lets a listener from before the drop stop quietly without silencing one from after it', async () => {
    const old = await notifications.listen('orders', () => undefined);
    connector.current.handlers.lost(terminated());
    const fresh = recorder();
    await notifications.listen('orders', fresh.listener);
    await expect(old()).resolves.toBeUndefined();
    await clock.tickAsync(100);
    expect(connector.current.statements).toEqual(['LISTEN "orders"']);
    notify('orders', 'x');
    expect(fresh.payloads).toEqual(['', 'x']);
  });

  it('unlisten after the drop never throws, even though the old connection is gone', async () => {
    const stop = await notifications.listen('orders', () => undefined);
    const other = await notifications.listen('carts', () => undefined);
    connector.current.failNext('UNLISTEN', terminated());
    await expect(stop()).resolves.toBeUndefined();
    await expect(other()).resolves.toBeUndefined();
    await clock.runAllAsync();
    expect(connector.opened).toHaveLength(1);
  });

  it('backs off exponentially up to the maximum while the server stays away', async () => {
    await notifications.listen('orders', () => undefined);
    connector.failures.push(...Array.from({ length: 6 }, () => driverError('connect ECONNREFUSED')));
    connector.current.handlers.lost(terminated());
    const attemptsAt: number[] = [];
    for (let step = 0; step < 200 && connector.opened.length === 1; step++) {
      const before = connector.attempts;
      await clock.tickAsync(50);
      if (connector.attempts > before) attemptsAt.push(clock.now());
    }
    // 100, +200, +400, +800, +1000 (capped), +1000, then success on the seventh attempt.
    expect(attemptsAt).toEqual([100, 300, 700, 1500, 2500, 3500, 4500]);
    expect(connector.opened).toHaveLength(2);
    expect(logs.filter((entry) => entry.message.startsWith('Listening again failed'))).toHaveLength(6);
  });

  it('stops trying when nothing listens any more', async () => {
    const stop = await notifications.listen('orders', () => undefined);
    connector.current.handlers.lost(terminated());
    await stop();
    await clock.runAllAsync();
    expect(connector.attempts).toBe(1);
  });

  it('stops trying on close', async () => {
    await notifications.listen('orders', () => undefined);
    connector.current.handlers.lost(terminated());
    await notifications.close();
    await clock.runAllAsync();
    expect(connector.attempts).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('treats a LISTEN that fails because the connection died as a drop, not a failed listen', async () => {
    await notifications.listen('orders', () => undefined);
    connector.current.failNext('LISTEN "carts"', driverError('Connection terminated unexpectedly'));
    const carts = recorder();
    await notifications.listen('carts', carts.listener);
    await clock.tickAsync(100);
    expect(connector.current.statements).toEqual(['LISTEN "orders"', 'LISTEN "carts"']);
    notify('carts', 'x');
    expect(carts.payloads).toEqual(['', 'x']);
  });

  it('ignores a second report of the same loss and events of the old connection', async () => {
    const a = recorder();
    await notifications.listen('orders', a.listener);
    const first = connector.current;
    first.handlers.lost(terminated());
    first.handlers.lost(driverError('Connection terminated unexpectedly'));
    first.handlers.notification({ channel: 'orders', payload: 'stale' });
    await clock.tickAsync(100);
    expect(connector.opened).toHaveLength(2);
    expect(a.payloads).toEqual(['']);
    expect(logs.filter((entry) => entry.level === 'warn')).toHaveLength(1);
  });
});
