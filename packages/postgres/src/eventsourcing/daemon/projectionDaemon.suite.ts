import { ManualClock } from '@keel/core';
import { numbered } from '@keel/eventsourcing/testing';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { PostgresCheckpointStore } from '../projections/postgresCheckpointStore.js';
import { CountingProjection, gate } from './countingProjection.fixture.js';
import type { CountingHooks } from './countingProjection.fixture.js';
import { eventually, nextHeartbeat } from './daemon.fixture.js';
import { ProjectionDaemon } from './projectionDaemon.js';
import { PostgresLeases } from '../../leases/postgresLeases.js';

/** A fresh migrated schema on a client. */
export type FreshDaemonSchema = () => Promise<{ client: SqlClient; schema: string }>;

const TIMING = { heartbeatMs: 100, leaseTtlMs: 300 };

/** Projection daemon behaviour shared by the PGlite and PostgreSQL tests. */
export function projectionDaemonBehaviour(label: string, fresh: FreshDaemonSchema): void {
  describe(`ProjectionDaemon ${label}`, () => {
    const setup = async (names: readonly string[], hooks: CountingHooks = {}) => {
      const { client, schema } = await fresh();
      const store = new PostgresEventStore(client, { schema, notify: false, pollIntervalMs: 20 });
      const counting = await Promise.all(
        names.map((name) => new CountingProjection(schema, name, hooks).create(client)),
      );
      const daemon = (ownerId: string, clock = new ManualClock()) => ({
        clock,
        daemon: new ProjectionDaemon(
          client,
          store,
          counting.map((entry) => entry.projection),
          { schema, ownerId, clock, ...TIMING },
        ),
      });
      const checkpoint = (name: string) => new PostgresCheckpointStore(client, { schema }).load(name);
      return { client, schema, store, counting, daemon, checkpoint };
    };

    it('runs each projection in exactly one of two daemons on one schema', async () => {
      const { client, store, counting, daemon } = await setup(['p1', 'p2', 'p3']);
      const a = daemon('a');
      const b = daemon('b');
      await Promise.all([a.daemon.start(), b.daemon.start()]);
      try {
        for (let index = 0; index < 6; index++) await store.appendToStream(`s-${index}`, numbered(5));
        for (const entry of counting)
          await eventually(async () => (await entry.count(client)) === 30, 'caught up');
        await Promise.all([nextHeartbeat(a.daemon, a.clock, 100), nextHeartbeat(b.daemon, b.clock, 100)]);
        for (const [index, entry] of counting.entries()) {
          expect(await entry.anomalies(client, 30)).toEqual([]);
          const owners = [a.daemon, b.daemon].filter((d) => d.projections()[index]!.owned);
          expect(owners).toHaveLength(1);
          expect(a.daemon.projections()[index]!.owner).toBe(owners[0]!.ownerId);
        }
      } finally {
        await Promise.all([a.daemon.stop(), b.daemon.stop()]);
      }
    });

    it('hands a projection over once its silent owner’s lease expires, and refuses the stale owner’s batch', async () => {
      const { client, store, counting, daemon } = await setup(['p']);
      const [entry] = counting;
      const a = daemon('a');
      const b = daemon('b');
      await a.daemon.start();
      await store.appendToStream('s-1', numbered(10));
      await eventually(async () => (await entry!.count(client)) === 10, 'a handled the first events');
      await b.daemon.start();
      // From here on `a` never beats again (its clock stands still), as if frozen or killed.
      await nextHeartbeat(b.daemon, b.clock, 100);
      await nextHeartbeat(b.daemon, b.clock, 100);
      expect(b.daemon.projections()[0]).toMatchObject({ owned: false, owner: 'a', status: 'standby' });
      await nextHeartbeat(b.daemon, b.clock, 100);
      expect(b.daemon.projections()[0]).toMatchObject({ owned: true, owner: 'b', token: 2 });
      await store.appendToStream('s-2', numbered(10));
      await eventually(async () => (await entry!.count(client)) === 20, 'b continued');
      await eventually(() => a.daemon.projections()[0]!.status === 'stopped', 'a was fenced off');
      expect(await entry!.anomalies(client, 20)).toEqual([]);
      await nextHeartbeat(a.daemon, a.clock, 100);
      expect(a.daemon.projections()[0]).toMatchObject({ owned: false, owner: 'b', status: 'standby' });
      expect(a.daemon.projections()[0]!.error).toMatch(/no longer held/);
      await Promise.all([a.daemon.stop(), b.daemon.stop()]);
    });

    it('lets the batch in flight commit on stop, then releases the lease for another daemon at once', async () => {
      const held = gate();
      const entered = gate();
      let batch: readonly number[] = [];
      const { client, store, counting, daemon, checkpoint } = await setup(['p'], {
        beforeBatch: async (positions) => {
          batch = positions;
          entered.open();
          await held.opened;
        },
      });
      const a = daemon('a');
      const b = daemon('b');
      await a.daemon.start();
      await b.daemon.start();
      await store.appendToStream('s-1', numbered(5));
      await entered.opened;
      const stopped = a.daemon.stop({ deadline: 60_000 });
      held.open();
      await stopped;
      expect(a.daemon.health()).toMatchObject({ status: 'stopped', healthy: false, ready: false });
      const last = batch.at(-1)!;
      expect(await checkpoint('p')).toBe(last);
      expect(await counting[0]!.anomalies(client, last)).toEqual([]);
      expect(await counting[0]!.count(client)).toBe(last);
      await nextHeartbeat(b.daemon, b.clock, 100);
      expect(b.daemon.projections()[0]).toMatchObject({ owned: true, owner: 'b', token: 2 });
      await eventually(async () => (await counting[0]!.count(client)) === 5, 'b handled the rest');
      expect(await counting[0]!.anomalies(client, 5)).toEqual([]);
      await b.daemon.stop();
    });

    it('reports the owner, checkpoint and lag of a projection another process owns', async () => {
      const { client, schema, store, daemon } = await setup(['p']);
      const foreign = new PostgresLeases(client, { schema, ttlMs: 60_000, clock: new ManualClock() });
      await foreign.tryAcquire('projection:p', 'elsewhere');
      await store.appendToStream('s-1', numbered(5));
      const a = daemon('a');
      expect(a.daemon.health()).toMatchObject({ status: 'idle', ready: false });
      await a.daemon.start();
      expect(a.daemon.health()).toMatchObject({ status: 'running', healthy: true, ready: true });
      expect(a.daemon.projections()).toEqual([
        { name: 'p', owned: false, owner: 'elsewhere', status: 'standby', token: 1, checkpoint: 0, lag: 5 },
      ]);
      expect(a.daemon.health().details).toMatchObject({ ownerId: 'a', owned: 0, headPosition: 5 });
      await a.daemon.stop();
    });

    it('aborts a batch that outlives the stop deadline, rolls it back and still releases the lease', async () => {
      const entered = gate();
      const { client, schema, store, counting, daemon, checkpoint } = await setup(['p'], {
        beforeBatch: (_positions, signal) => {
          entered.open();
          return new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        },
      });
      const a = daemon('a');
      await a.daemon.start();
      await store.appendToStream('s-1', numbered(3));
      await entered.opened;
      let stopped = false;
      const stopping = a.daemon.stop({ deadline: 1_000 }).then(() => (stopped = true));
      await a.clock.tickAsync(999);
      expect(stopped).toBe(false);
      await eventually(async () => {
        await a.clock.tickAsync(1);
        return stopped;
      }, 'stopped after the deadline');
      await stopping;
      expect(await checkpoint('p')).toBeUndefined();
      expect(await counting[0]!.count(client)).toBe(0);
      const holders = await new PostgresLeases(client, { schema }).holders(['projection:p']);
      expect(holders.get('projection:p')?.owner).toBeUndefined();
    });

    it('abandons a batch whose handler ignores its signal once the stop deadline passed, and releases', async () => {
      const entered = gate();
      const { client, schema, store, counting, daemon, checkpoint } = await setup(['p'], {
        beforeBatch: () => {
          entered.open();
          return new Promise<void>(() => {}); // never settles, whatever the signal says
        },
      });
      const a = daemon('a');
      await a.daemon.start();
      await store.appendToStream('s-1', numbered(3));
      await entered.opened;
      let stopped = false;
      const stopping = a.daemon.stop({ deadline: 1_000 }).then(() => (stopped = true));
      await eventually(async () => {
        await a.clock.tickAsync(100);
        return stopped;
      }, 'stopped after the deadline');
      await stopping;
      expect(await checkpoint('p')).toBeUndefined();
      expect(await counting[0]!.count(client)).toBe(0);
      const holders = await new PostgresLeases(client, { schema }).holders(['projection:p']);
      expect(holders.get('projection:p')?.owner).toBeUndefined();
    });

    it('hands the lease of a failed projection over and reports why it failed', async () => {
      const { client, schema, store, daemon } = await setup(['p'], {
        beforeBatch: () => Promise.reject(new Error('poison event')),
      });
      const a = daemon('a');
      await a.daemon.start();
      await store.appendToStream('s-1', numbered(1));
      await eventually(() => a.daemon.projections()[0]!.status === 'failed', 'the runner failed');
      await nextHeartbeat(a.daemon, a.clock, 100);
      expect(a.daemon.projections()[0]).toMatchObject({ owned: false, status: 'standby' });
      expect(a.daemon.projections()[0]!.error).toMatch(/poison event/);
      const holders = await new PostgresLeases(client, { schema }).holders(['projection:p']);
      expect(holders.get('projection:p')).toMatchObject({ owner: undefined, token: 1 });
      await a.daemon.stop();
    });
  });
}
