import { isTimeoutError } from '@keel/core';
import type { TimeoutError } from '@keel/core';
import { createPostgres } from '@keel/postgres';
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDistributed } from './launcher.js';
import type { DistributedResult } from './launcher.js';

// Both servers are needed; with KEEL_REQUIRE_SERVICES=1 a missing one fails this file.
const pgUp = await serviceAvailable('postgres');
const natsUp = await serviceAvailable('nats');

/** The run's leftovers: its schemas in PostgreSQL, its streams in JetStream. */
async function leftovers(runId: string): Promise<{ schemas: string[]; streams: string[] }> {
  const client = await createPostgres({ url: serviceUrl('postgres'), maxConnections: 1 });
  const nc = await connect({ servers: serviceUrl('nats'), timeout: 5_000 });
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
      [`${runId}%`],
    );
    const streams: string[] = [];
    for await (const info of (await jetstreamManager(nc)).streams.list()) {
      if (info.config.name.includes(runId.toUpperCase())) streams.push(info.config.name);
    }
    return { schemas: rows.map((row) => row.nspname), streams };
  } finally {
    await nc.close();
    await client.close();
  }
}

describe.runIf(pgUp && natsUp)(
  'the distributed order saga on real PostgreSQL and NATS, with a SIGKILL',
  () => {
    const lines: string[] = [];
    let result: DistributedResult;

    // One end-to-end run: three real processes, one of them killed and restarted.
    beforeAll(async () => {
      result = await runDistributed({
        pgUrl: serviceUrl('postgres'),
        natsUrl: serviceUrl('nats'),
        timeoutMs: 40_000,
        say: (line) => lines.push(line),
      });
    }, 50_000);

    it('ends every order as planned: confirmed with stock and payment, or cancelled with stock released', () => {
      const outcomes = result.verdict.outcomes.map(({ orderId, status, reservation, payment }) => ({
        orderId,
        status,
        reservation,
        payment,
      }));
      expect(outcomes).toEqual([
        { orderId: 'o-1', status: 'confirmed', reservation: 'reserved', payment: 'captured' },
        { orderId: 'o-2', status: 'cancelled', reservation: 'released', payment: 'declined' },
        { orderId: 'o-3', status: 'confirmed', reservation: 'reserved', payment: 'captured' },
        { orderId: 'o-4', status: 'cancelled', reservation: null, payment: null },
        { orderId: 'o-5', status: 'confirmed', reservation: 'reserved', payment: 'captured' },
        { orderId: 'o-6', status: 'cancelled', reservation: 'released', payment: 'declined' },
      ]);
    });

    it('finds no broken invariant: nothing lost, nothing applied twice, stock adds up, no dead letter', () => {
      expect(result.verdict.violations).toEqual([]);
      expect(result.verdict.deadLetters).toBe(0);
    });

    it('applies every message in each inbox exactly once', () => {
      // orders: 6 OrderRequested + 3 PaymentCaptured + 2 PaymentFailed + 1 InventoryRejected;
      // inventory: 6 OrderPlaced + 2 PaymentFailed; payments: 5 InventoryReserved.
      expect(result.verdict.applied).toEqual({ orders: 12, inventory: 8, payments: 5 });
      expect(result.verdict.published).toBe(17);
      const processed = result.deliveries.filter((delivery) => delivery.status === 'processed');
      const keys = processed.map((delivery) => `${delivery.to}/${delivery.messageId}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(processed).toHaveLength(12 + 8 + 5);
    });

    it('redelivers the message the killed process committed but never acknowledged, and its inbox skips it', () => {
      expect(result.killed).toMatchObject({ type: 'OrderPlaced', orderId: 'o-2' });
      expect(result.restartedPid).not.toBe(result.killed.pid);
      const again = result.deliveries.filter(
        (delivery) =>
          delivery.to === 'inventory' && delivery.type === 'OrderPlaced' && delivery.orderId === 'o-2',
      );
      expect(again.map(({ status, deliveryCount }) => ({ status, deliveryCount }))).toEqual([
        { status: 'processed', deliveryCount: 1 },
        { status: 'duplicate', deliveryCount: 2 },
      ]);
      expect(again[0]?.messageId).toBe(again[1]?.messageId);
    });

    it("sends payments' failure events to both inventory and orders, with no coordinator in between", () => {
      const failures = result.deliveries.filter((delivery) => delivery.type === 'PaymentFailed');
      const routes = failures.map(({ from, to, orderId }) => `${from}→${to} ${orderId}`).sort();
      expect(routes).toEqual([
        'payments→inventory o-2',
        'payments→inventory o-6',
        'payments→orders o-2',
        'payments→orders o-6',
      ]);
    });

    it('prints one line per message crossing between processes, and the kill', () => {
      const crossing = lines.filter((line) => / → \w+ +[A-Z]\w+ +o-\d/.test(line));
      expect(crossing).toHaveLength(result.deliveries.length);
      expect(lines.some((line) => line.includes('✖ SIGKILL inventory'))).toBe(true);
      expect(lines).toContain('  violations: 0');
    });

    it('leaves no schema and no stream of the run behind', async () => {
      expect(await leftovers(result.runId)).toEqual({ schemas: [], streams: [] });
    });
  },
);

describe.runIf(pgUp && natsUp)('the distributed order saga, bounded in time', () => {
  let error: TimeoutError | undefined;
  beforeAll(async () => {
    // Far too short for the run: it must stop, say where it was, and clean up.
    error = await runDistributed({ timeoutMs: 300, say: () => undefined }).then(
      () => undefined,
      (caught: unknown) => (isTimeoutError(caught) ? caught : Promise.reject(caught)),
    );
  }, 30_000);

  it('fails with a TimeoutError that says what it was waiting for, and cleans up', async () => {
    expect(error?.message).toMatch(/^The distributed order saga \(.+\) timed out after 300 ms\.$/);
    const runId = error?.details['runId'];
    expect(typeof runId).toBe('string');
    expect(await leftovers(runId as string)).toEqual({ schemas: [], streams: [] });
  });
});
