import { createPostgres } from '@keel/postgres';
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from './runChaos.js';
import type { ChaosResult } from './runChaos.js';

// Both servers are needed; with KEEL_REQUIRE_SERVICES=1 a missing one fails this file.
const pgUp = await serviceAvailable('postgres');
const natsUp = await serviceAvailable('nats');

/** What the run left behind: its schema in PostgreSQL, its streams in JetStream. */
async function leftovers(runId: string): Promise<string[]> {
  const client = await createPostgres({ url: serviceUrl('postgres'), maxConnections: 1 });
  const nc = await connect({ servers: serviceUrl('nats'), timeout: 5_000 });
  try {
    const { rows } = await client.query<{ nspname: string }>(
      'SELECT nspname FROM pg_namespace WHERE nspname = $1',
      [runId],
    );
    const found = rows.map((row) => `schema ${row.nspname}`);
    for await (const info of (await jetstreamManager(nc)).streams.list()) {
      if (info.config.name.startsWith(runId.toUpperCase())) found.push(`stream ${info.config.name}`);
    }
    return found;
  } finally {
    await nc.close();
    await client.close();
  }
}

describe.runIf(pgUp && natsUp)('the chaos harness: 3 worker processes killed with SIGKILL under load', () => {
  const lines: string[] = [];
  let result: ChaosResult;

  // One short run (about 15 s of kills); the long variant is `pnpm chaos`.
  beforeAll(async () => {
    result = await runChaos({
      durationMs: 15_000,
      workers: 3,
      seed: 20_261_202,
      killEveryMs: [1_500, 3_000],
      settleTimeoutMs: 30_000,
      pgUrl: serviceUrl('postgres'),
      natsUrl: serviceUrl('nats'),
      say: (line) => lines.push(line),
    });
  }, 75_000);

  it('finds no violated invariant', () => {
    expect(result.violations, lines.join('\n')).toEqual([]);
  });

  it('killed at least one worker and brought every killed worker back', () => {
    expect(result.kills).toBeGreaterThanOrEqual(1);
    expect(result.restarts).toBe(result.kills);
  });

  it('ran every kind of work: appends, completed and compensated sagas, delivered messages', () => {
    expect(result.appends).toBeGreaterThan(0);
    expect(result.log.events).toBeGreaterThanOrEqual(result.appends);
    expect(result.sagas.completed).toBeGreaterThan(0);
    expect(result.sagas.compensated).toBeGreaterThan(0);
    expect(result.messages.deliveries).toBeGreaterThanOrEqual(result.messages.messages);
  });

  it('removes its schema and streams', async () => {
    expect(result.cleanupProblems).toEqual([]);
    expect(await leftovers(result.runId)).toEqual([]);
  });
});
