// Projection lag: a batched ProjectionRunner over Keel's PostgresEventStore, writing a read model
// in PostgreSQL in the same transaction as its checkpoints, follows 8 writers for a bounded time.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { NO_STREAM, ProjectionRunner } from '@keel/eventsourcing';
import {
  definePostgresProjection,
  fromPgPool,
  PostgresEventStore,
  PostgresProjectionCheckpoints,
} from '@keel/postgres';
import { record } from '../harness.js';
import { SCHEMAS } from './contenders.js';
import type { BenchEvent } from './settings.js';
import { deposits, LAG_MS, ownTypesPool } from './settings.js';

const WRITERS = 8;
const BATCH = 10;
const SAMPLE_MS = 1_000;

interface LagSample {
  readonly atMs: number;
  readonly head: number;
  readonly position: number;
}

/** 8 writers appending batches of 10 to their own streams until `until`; resolves with the count. */
async function write(store: PostgresEventStore, until: number): Promise<number> {
  let appended = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const batch = deposits(BATCH);
      for (let version = 0; performance.now() < until; version += BATCH) {
        await store.appendToStream(`lag-${writer}`, batch, {
          expectedVersion: version === 0 ? NO_STREAM : version,
        });
        appended += BATCH;
      }
    }),
  );
  return appended;
}

/**
 * Runs the writers for `LAG_MS` with the runner following, samples the lag every second, then
 * times how long the runner needs to drain what is left, and checks the read model counted
 * every event exactly once.
 */
export async function measureProjectionLag(): Promise<void> {
  const writerClient = fromPgPool(ownTypesPool('default commit'));
  const runnerClient = fromPgPool(ownTypesPool('default commit', 4));
  const schema = SCHEMAS.keel;
  const table = `${schema}.bench_balances`;
  await writerClient.exec(`
    TRUNCATE ${schema}.events;
    DELETE FROM ${schema}.checkpoints;
    CREATE TABLE IF NOT EXISTS ${table} (stream text PRIMARY KEY, total bigint NOT NULL, events bigint NOT NULL);
    TRUNCATE ${table};`);
  let batches = 0;
  let handled = 0;
  const projection = definePostgresProjection<BenchEvent>({
    name: 'bench-balances',
    // BENCH_PG_LAG_FILTER=1 follows by event type, the path a projection with handlers takes.
    ...(process.env.BENCH_PG_LAG_FILTER === '1' ? { eventTypes: ['Deposited'] as const } : {}),
    handleBatch: async (events, { tx }) => {
      batches++;
      handled += events.length;
      await tx.query(
        `INSERT INTO ${table} AS t (stream, total, events)
         SELECT stream, sum(amount), count(*) FROM unnest($1::text[], $2::bigint[]) AS e(stream, amount) GROUP BY stream
         ON CONFLICT (stream) DO UPDATE SET total = t.total + EXCLUDED.total, events = t.events + EXCLUDED.events`,
        [events.map((event) => event.streamName), events.map((event) => event.data.amount)],
      );
    },
  });
  const writerStore = new PostgresEventStore(writerClient, { schema });
  const runner = new ProjectionRunner(new PostgresEventStore(runnerClient, { schema }), projection, {
    checkpoints: new PostgresProjectionCheckpoints(runnerClient, { schema }),
    // Larger batches mean fewer transactions (each a commit flush) while 8 writers share 2 cores.
    batchSize: Number(process.env.BENCH_PG_BATCH ?? 1000),
  });
  try {
    runner.start();
    const started = performance.now();
    const until = started + LAG_MS;
    const samples: LagSample[] = [];
    // What the runner had done the moment the last writer finished.
    const writing = write(writerStore, until).then((appended) => ({
      appended,
      writeSeconds: (performance.now() - started) / 1000,
      positionAtStop: runner.position,
      handledAtStop: handled,
    }));
    while (performance.now() < until) {
      // Never past `until`: the drain below is timed from when the writers stop.
      await sleep(Math.max(0, Math.min(SAMPLE_MS, until - performance.now())));
      // The position first: read after the head query, it could pass that head (a negative lag).
      const position = runner.position;
      const head = await writerStore.headPosition();
      samples.push({ atMs: performance.now() - started, head, position });
    }
    const { appended, writeSeconds, positionAtStop, handledAtStop } = await writing;
    const headAtStop = await writerStore.headPosition();
    const drainStarted = performance.now();
    await runner.waitUntilCaughtUp();
    const drainMs = performance.now() - drainStarted;
    await runner.stop();
    const { rows } = await writerClient.query<{ events: number }>(
      `SELECT coalesce(sum(events), 0)::int AS events FROM ${table}`,
    );
    if (rows[0]?.events !== appended) {
      throw new Error(`The read model counted ${rows[0]?.events} events, but ${appended} were appended.`);
    }
    report({
      appended,
      writeSeconds,
      handledAtStop,
      positionAtStop,
      headAtStop,
      drainMs,
      batches,
      samples,
    });
  } finally {
    await runner.stop();
    await runnerClient.close();
    await writerClient.close();
  }
}

function report(result: {
  appended: number;
  writeSeconds: number;
  handledAtStop: number;
  positionAtStop: number;
  headAtStop: number;
  drainMs: number;
  batches: number;
  samples: readonly LagSample[];
}): void {
  const { appended, writeSeconds, handledAtStop, positionAtStop, headAtStop, drainMs, batches, samples } =
    result;
  const lags = samples.map((sample) => sample.head - sample.position);
  const third = Math.max(1, Math.floor(lags.length / 3));
  const meanOf = (values: readonly number[]) =>
    values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const format = (value: number) => Math.round(value).toLocaleString('en-US');
  record(
    `PostgreSQL projection lag: batched ProjectionRunner (read model + checkpoint in one transaction) following ${WRITERS} writers x ${BATCH} events for ${writeSeconds.toFixed(0)} s`,
    ['measure', 'value'],
    [
      ['append rate (events/s)', format(appended / writeSeconds)],
      ['projection rate while writing (events/s)', format(handledAtStop / writeSeconds)],
      ['lag when the writers stopped (events)', format(headAtStop - positionAtStop)],
      ['largest sampled lag (events)', format(Math.max(0, ...lags))],
      [
        'mean sampled lag, first / last third (events)',
        `${format(meanOf(lags.slice(0, third)))} / ${format(meanOf(lags.slice(-third)))}`,
      ],
      ['time to drain after the writers stopped (ms)', format(drainMs)],
      [
        'batches (transactions) / mean events per batch',
        `${format(batches)} / ${(appended / Math.max(1, batches)).toFixed(1)}`,
      ],
    ],
  );
}
