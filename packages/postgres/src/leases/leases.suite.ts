import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { PostgresCheckpointStore } from '../eventsourcing/projections/postgresCheckpointStore.js';
import { FencedCheckpoints } from '../eventsourcing/daemon/fencedCheckpoints.js';
import { isLeaseLostError } from '../errors.js';
import { PostgresLeases } from './postgresLeases.js';
import type { Lease } from './postgresLeases.js';

/** A fresh migrated schema on a client. */
export type FreshWorkerSchema = () => Promise<{ client: SqlClient; schema: string }>;

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Lease and fencing behaviour shared by the PGlite and PostgreSQL tests. */
export function leasesBehaviour(label: string, fresh: FreshWorkerSchema): void {
  describe(`PostgresLeases ${label}`, () => {
    const setup = async () => {
      const { client, schema } = await fresh();
      const clock = new ManualClock(1_000);
      return { client, schema, clock, leases: new PostgresLeases(client, { schema, ttlMs: 100, clock }) };
    };

    it('gives a free name to exactly one of many concurrent owners', async () => {
      const { leases } = await setup();
      const owners = Array.from({ length: 8 }, (_, index) => `owner-${index}`);
      const results = await Promise.all(owners.map((owner) => leases.tryAcquire('p', owner)));
      expect(results.filter((lease) => lease !== undefined)).toHaveLength(1);
    });

    it('lets another owner take the lease only once it expired, with a higher token', async () => {
      const { leases, clock } = await setup();
      const first = await leases.tryAcquire('p', 'a');
      clock.advance(99);
      expect(await leases.tryAcquire('p', 'b')).toBeUndefined();
      clock.advance(1);
      const second = await leases.tryAcquire('p', 'b');
      expect(second?.token).toBe(first!.token + 1);
    });

    it('keeps a renewed lease from expiring and refuses to renew one taken over', async () => {
      const { leases, clock } = await setup();
      const lease = await leases.tryAcquire('p', 'a');
      clock.advance(80);
      const renewed = await leases.renew(lease!);
      clock.advance(80);
      expect(await leases.tryAcquire('p', 'b')).toBeUndefined();
      clock.advance(20);
      expect(await leases.tryAcquire('p', 'b')).toBeDefined();
      const error = await rejection(() => leases.renew(renewed));
      expect(isLeaseLostError(error)).toBe(true);
      expect((error as Error).message).toMatch(/held by "b" with token 2/);
    });

    it('hands a released lease over at once and with a new token', async () => {
      const { leases } = await setup();
      const lease = await leases.tryAcquire('p', 'a');
      expect(await leases.release(lease!)).toBe(true);
      expect(await leases.release(lease!)).toBe(false);
      expect((await leases.tryAcquire('p', 'b'))?.token).toBe(2);
      expect((await leases.holders(['p', 'never'])).get('p')?.owner).toBe('b');
    });

    it('refuses the checkpoint write of a stale owner and keeps the newer checkpoint', async () => {
      const { client, schema, leases, clock } = await setup();
      const fenced = (lease: Lease, refused: string[]) =>
        new FencedCheckpoints({
          client,
          schema,
          isolation: undefined,
          leases,
          lease,
          onRefused: () => refused.push(lease.owner),
        });
      const refused: string[] = [];
      const stale = fenced((await leases.tryAcquire('projection:p', 'a'))!, refused);
      await stale.save('p', 5);
      clock.advance(100);
      const current = fenced((await leases.tryAcquire('projection:p', 'b'))!, refused);
      await current.save('p', 10);
      const error = await rejection(() => stale.save('p', 20));
      expect(isLeaseLostError(error)).toBe(true);
      await current.save('p', 7);
      expect(await new PostgresCheckpointStore(client, { schema }).load('p')).toBe(10);
      expect(refused).toEqual(['a']);
    });

    it('rolls back the read-model writes of a stale owner with its checkpoint', async () => {
      const { client, schema, leases, clock } = await setup();
      const lease = (await leases.tryAcquire('projection:p', 'a'))!;
      const stale = new FencedCheckpoints({
        client,
        schema,
        isolation: undefined,
        leases,
        lease,
        onRefused: () => {},
      });
      clock.advance(100);
      await leases.tryAcquire('projection:p', 'b');
      let ran = false;
      const error = await rejection(() =>
        stale.inTransaction(async () => {
          ran = true;
        }),
      );
      expect(isLeaseLostError(error)).toBe(true);
      expect(ran).toBe(false);
    });
  });
}
