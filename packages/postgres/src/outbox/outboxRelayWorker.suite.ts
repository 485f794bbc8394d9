import { createEvent, eventPublisher, ManualClock } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SqlClient, SqlExecutor } from '../client/sqlClient.js';
import { PostgresOutbox } from './postgresOutbox.js';
import { gate } from '../eventsourcing/daemon/countingProjection.fixture.js';
import { eventually, nextHeartbeat } from '../eventsourcing/daemon/daemon.fixture.js';
import { OutboxRelayWorker } from './outboxRelayWorker.js';
import type { OutboxRelayWorkerOptions } from './outboxRelayWorkerOptions.js';
import { PostgresLeases } from '../leases/postgresLeases.js';

/**
 * A fresh migrated schema on a client, and optionally a second client (another pool) on the same
 * database for a second relay, as a second process would have.
 */
export type FreshOutboxSchema = () => Promise<{ client: SqlClient; schema: string; peer?: SqlClient }>;

/** `client`, counting the claim statements that returned (`claims.count`). */
function countingClaims(client: SqlClient): { client: SqlExecutor; claims: { count: number } } {
  const claims = { count: 0 };
  const counted = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return async (sql: string, params?: readonly unknown[]) => {
        const result = await target.query(sql, params);
        if (sql.includes('SKIP LOCKED')) claims.count++;
        return result;
      };
    },
  });
  return { client: counted, claims };
}

const messages = (count: number): Message[] =>
  Array.from({ length: count }, (_, n) => createEvent('Happened', { n }));

/** Outbox relay worker behaviour shared by the PGlite and PostgreSQL tests. */
export function outboxRelayWorkerBehaviour(label: string, fresh: FreshOutboxSchema): void {
  describe(`OutboxRelayWorker ${label}`, () => {
    const setup = async () => {
      const { client, schema, peer = client } = await fresh();
      const outbox = new PostgresOutbox(client, { schema, clock: new ManualClock() });
      const published: { by: string; id: string }[] = [];
      const worker = (
        relayId: string,
        options: OutboxRelayWorkerOptions = {},
        publish?: (batch: readonly Message[]) => Promise<void>,
        on: SqlExecutor = client,
      ) => {
        const clock = new ManualClock();
        const publisher = eventPublisher(async (batch: readonly Message[]) => {
          await publish?.(batch);
          published.push(...batch.map((message) => ({ by: relayId, id: message.metadata.messageId })));
        });
        const relay = new OutboxRelayWorker(on, publisher, {
          schema,
          relayId,
          clock,
          heartbeatMs: 100,
          ownerTtlMs: 300,
          leaseMs: 300,
          ...options,
        });
        return { relay, clock };
      };
      return { client, peer, schema, outbox, published, worker };
    };

    it('publishes a topic through exactly one of two exclusive relays', async () => {
      const { client, outbox, published, worker } = await setup();
      await outbox.enqueue(client, messages(10));
      const a = worker('a');
      const b = worker('b');
      await a.relay.start();
      await b.relay.start();
      await eventually(() => published.length === 10, 'published');
      expect(new Set(published.map((entry) => entry.by))).toEqual(new Set(['a']));
      expect(b.relay.health().details).toMatchObject({ owner: false, holder: 'a' });
      await nextHeartbeat(a.relay, a.clock, 100);
      expect(a.relay.health()).toMatchObject({
        status: 'running',
        healthy: true,
        ready: true,
        details: { owner: true, backlog: 0, published: 10 },
      });
      await Promise.all([a.relay.stop(), b.relay.stop()]);
    });

    it('lets a standby relay take the topic over once the silent owner’s ownership expires', async () => {
      const { client, outbox, published, worker } = await setup();
      const a = worker('a');
      const b = worker('b');
      await a.relay.start();
      await b.relay.start();
      // `a` never beats again: its clock stands still, as if the process were frozen or killed.
      await nextHeartbeat(b.relay, b.clock, 100);
      await nextHeartbeat(b.relay, b.clock, 100);
      expect(b.relay.health().details).toMatchObject({ owner: false, holder: 'a' });
      await nextHeartbeat(b.relay, b.clock, 100);
      expect(b.relay.health().details).toMatchObject({ owner: true, holder: 'b' });
      await outbox.enqueue(client, messages(4));
      b.relay.wake();
      await eventually(() => published.length === 4, 'b published');
      expect(published.every((entry) => entry.by === 'b')).toBe(true);
      await Promise.all([a.relay.stop(), b.relay.stop()]);
    });

    it('holds back the later messages of the topic while a failed one waits for its retry', async () => {
      const { client, outbox, published, worker } = await setup();
      const batch = messages(3);
      await client.transaction((tx) => outbox.enqueue(tx, batch));
      let failures = 0;
      const a = worker('a', { baseDelayMs: 1_000 }, async ([message]) => {
        if (message?.metadata.messageId === batch[0]!.metadata.messageId && failures++ === 0)
          throw new Error('broker hiccup');
      });
      await a.relay.start();
      await eventually(() => failures === 1, 'the first publish failed');
      await nextHeartbeat(a.relay, a.clock, 1_000);
      a.relay.wake();
      await eventually(() => published.length === 3, 'published');
      expect(published.map((entry) => entry.id)).toEqual(batch.map((message) => message.metadata.messageId));
      await a.relay.stop();
    });

    it('lets the later messages go once the failed one is marked failed after maxAttempts', async () => {
      const { client, outbox, published, worker } = await setup();
      const batch = messages(3);
      await client.transaction((tx) => outbox.enqueue(tx, batch));
      const a = worker('a', { maxAttempts: 1 }, async ([message]) => {
        if (message?.metadata.messageId === batch[0]!.metadata.messageId) throw new Error('poison');
      });
      await a.relay.start();
      await eventually(() => published.length === 2, 'the rest published');
      expect(published.map((entry) => entry.id)).toEqual(
        batch.slice(1).map((message) => message.metadata.messageId),
      );
      expect(await outbox.stats()).toEqual({ pending: 0, dispatched: 2, failed: 1 });
      await a.relay.stop();
    });

    it('makes a new owner publish the frozen owner’s claimed messages before later ones', async () => {
      const { client, peer, outbox, published, worker } = await setup();
      const held = gate();
      const entered = gate();
      const a = worker('a', {}, async () => {
        entered.open();
        await held.opened;
      });
      const { client: counted, claims } = countingClaims(peer);
      const b = worker('b', {}, undefined, counted);
      await a.relay.start();
      await b.relay.start();
      // `a` renews at 100 (ownership until 400), then claims at 150 (claims until 450) and hangs.
      await nextHeartbeat(a.relay, a.clock, 100);
      await a.clock.tickAsync(50);
      const first = messages(2);
      await outbox.enqueue(client, first);
      a.relay.wake();
      await entered.opened;
      const later = messages(2);
      await outbox.enqueue(client, later);
      // `a` freezes: its clock stands still, so it never renews. `b` takes over at 400 and
      // runs a round at once, while `a`'s claims still hold.
      for (let beat = 0; beat < 4; beat++) await nextHeartbeat(b.relay, b.clock, 100);
      expect(b.relay.health().details).toMatchObject({ owner: true, holder: 'b' });
      await eventually(() => claims.count >= 1, 'b ran a round');
      await nextHeartbeat(b.relay, b.clock, 100);
      b.relay.wake();
      await eventually(() => published.filter((entry) => entry.by === 'b').length === 4, 'b published');
      expect(published.filter((entry) => entry.by === 'b').map((entry) => entry.id)).toEqual(
        [...first, ...later].map((message) => message.metadata.messageId),
      );
      held.open();
      await Promise.all([a.relay.stop(), b.relay.stop()]);
    });

    it('reports the backlog and the age of the oldest unpublished message', async () => {
      const { client, schema, outbox, worker } = await setup();
      await new PostgresLeases(client, { schema, clock: new ManualClock() }).tryAcquire(
        'outbox:default',
        'x',
      );
      await outbox.enqueue(client, messages(3));
      const a = worker('a');
      a.clock.advance(5_000);
      await a.relay.start();
      expect(a.relay.health().details).toMatchObject({
        owner: false,
        holder: 'x',
        backlog: 3,
        oldestAgeMs: 5_000,
        failed: 0,
      });
      await a.relay.stop();
    });

    it('finishes the round in flight on stop and hands the topic over at once', async () => {
      const { client, outbox, published, worker } = await setup();
      const held = gate();
      const entered = gate();
      await outbox.enqueue(client, messages(3));
      const a = worker('a', {}, async () => {
        entered.open();
        await held.opened;
      });
      const b = worker('b');
      await a.relay.start();
      await b.relay.start();
      await entered.opened;
      const stopped = a.relay.stop({ deadline: 60_000 });
      held.open();
      await stopped;
      expect(a.relay.health().status).toBe('stopped');
      expect(published.filter((entry) => entry.by === 'a').length).toBeGreaterThan(0);
      await nextHeartbeat(b.relay, b.clock, 100);
      expect(b.relay.health().details).toMatchObject({ owner: true, holder: 'b' });
      b.relay.wake();
      await eventually(() => published.length === 3, 'everything published');
      expect(new Set(published.map((entry) => entry.id)).size).toBe(3);
      expect((await outbox.stats()).pending).toBe(0);
      await b.relay.stop();
    });

    it('publishes every message once through concurrent relays that are not exclusive', async () => {
      const { client, outbox, published, worker } = await setup();
      await outbox.enqueue(client, messages(40));
      const relays = ['a', 'b', 'c'].map((id) => worker(id, { exclusive: false, batchSize: 5 }));
      await Promise.all(relays.map(({ relay }) => relay.start()));
      await eventually(() => published.length >= 40, 'published');
      expect(new Set(published.map((entry) => entry.id)).size).toBe(40);
      expect(published).toHaveLength(40);
      expect(relays.every(({ relay }) => relay.health().details?.['owner'] === true)).toBe(true);
      await Promise.all(relays.map(({ relay }) => relay.stop()));
    });
  });
}
