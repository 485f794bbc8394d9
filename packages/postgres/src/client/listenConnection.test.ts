import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { deferred } from './pgFakes.fixture.js';
import { dedicatedConnector } from './listenConnection.js';
import type { ListenHandlers, PgClientConstructorLike } from './listenConnection.js';

/** Dedicated clients as `pg.Client` behaves: `connect` waits on `gate`, `end` is counted. */
function clients(gate: Promise<void> = Promise.resolve()) {
  const made: { ended: number }[] = [];
  class FakeClient extends EventEmitter {
    ended = 0;
    constructor() {
      super();
      made.push(this);
    }
    connect = async (): Promise<void> => gate;
    end = async (): Promise<void> => void (this.ended += 1);
    query = async (): Promise<unknown> => ({ rows: [] });
  }
  return { made, Client: FakeClient as unknown as PgClientConstructorLike };
}

const handlers: ListenHandlers = { notification: () => {}, lost: () => {} };
const target = { engine: 'postgres', where: 'db.test:5432', address: 'db.test:5432' } as const;

describe('dedicatedConnector', () => {
  it('rejects with the abort reason of a signal aborted before the call, opening nothing', async () => {
    const { made, Client } = clients();
    const reason = new Error('already stopped');
    const connect = dedicatedConnector(Client, {}, target);
    await expect(connect(handlers, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(made).toHaveLength(0);
  });

  it('ends the client and rejects with the abort reason when aborted while connecting', async () => {
    const gate = deferred();
    const { made, Client } = clients(gate.promise);
    const controller = new AbortController();
    const reason = new Error('stop connecting');
    const connecting = dedicatedConnector(Client, {}, target)(handlers, controller.signal);
    controller.abort(reason);
    gate.resolve();
    await expect(connecting).rejects.toBe(reason);
    expect(made[0]!.ended).toBeGreaterThan(0);
  });

  it('stops following the signal once connected, so a later abort leaves the connection open', async () => {
    const { made, Client } = clients();
    const controller = new AbortController();
    const connection = await dedicatedConnector(Client, {}, target)(handlers, controller.signal);
    controller.abort(new Error('too late'));
    expect(made[0]!.ended).toBe(0);
    await connection.dispose();
    expect(made[0]!.ended).toBe(1);
  });
});
