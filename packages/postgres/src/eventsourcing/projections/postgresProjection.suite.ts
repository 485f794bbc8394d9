import { isValidationError } from '@keel/core';
import { isProjectionFailedError, ProjectionRunner } from '@keel/eventsourcing';
import type { Projection } from '@keel/eventsourcing';
import { numbered } from '@keel/eventsourcing/testing';
import { describe, expect, it } from 'vitest';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlClient, SqlExecutor, SqlTransaction } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { PostgresCheckpointStore } from './postgresCheckpointStore.js';
import { PostgresDeadLetterStore } from './postgresDeadLetterStore.js';
import { definePostgresProjection } from './postgresProjection.js';
import { PostgresProjectionCheckpoints } from './postgresProjectionCheckpoints.js';

/** A fresh migrated schema on a client. */
export type FreshProjectionSchema = () => Promise<{ client: SqlClient; schema: string }>;

type Numbered = { type: 'Numbered'; data: { n: number } };

/**
 * A read model that counts how often each global position was applied: a projection that
 * double-applies shows `times` > 1; one that loses an event shows a missing row.
 */
export class CountingReadModel {
  readonly table: string;

  constructor(schema: string) {
    this.table = sqlSchema(schema).table('applied_positions');
  }

  async create(client: SqlExecutor): Promise<void> {
    await client.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (position bigint PRIMARY KEY, times int NOT NULL)`,
    );
  }

  /** Applies positions with one statement (a non-idempotent increment). */
  async apply(tx: SqlTransaction, positions: readonly number[]): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (position, times) SELECT p, 1 FROM unnest($1::bigint[]) AS p
       ON CONFLICT (position) DO UPDATE SET times = ${this.table}.times + 1`,
      [positions],
    );
  }

  /** Positions 1..head that are missing or applied more than once, as text. */
  async anomalies(client: SqlExecutor, head: number): Promise<string[]> {
    const { rows } = await client.query<{ position: number; times: number }>(
      `SELECT g AS position, coalesce(a.times, 0) AS times FROM generate_series(1, $1::bigint) AS g
       LEFT JOIN ${this.table} a ON a.position = g WHERE coalesce(a.times, 0) <> 1 ORDER BY g`,
      [head],
    );
    return rows.map((row) => `${row.position} applied ${row.times} times`);
  }

  async count(client: SqlExecutor): Promise<number> {
    const { rows } = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${this.table}`,
    );
    return rows[0]?.count ?? 0;
  }
}

/** Per-event handlers that apply each event to the counting read model. */
function perEvent(model: CountingReadModel, name = 'counting', poison?: number): Projection {
  return definePostgresProjection<Numbered>({
    name,
    handlers: {
      Numbered: async (event, { tx }) => {
        if (event.globalPosition === poison) throw new Error(`poison ${poison}`);
        await model.apply(tx, [event.globalPosition]);
      },
    },
    reset: ({ tx }) => tx.exec(`TRUNCATE ${model.table}`),
  });
}

/** One multi-row statement per batch. */
function batched(model: CountingReadModel, poison?: number): Projection {
  return definePostgresProjection<Numbered>({
    name: 'counting-batched',
    handleBatch: async (events, { tx }) => {
      if (events.some((event) => event.globalPosition === poison)) throw new Error(`poison ${poison}`);
      await model.apply(
        tx,
        events.map((event) => event.globalPosition),
      );
    },
    reset: ({ tx }) => tx.exec(`TRUNCATE ${model.table}`),
  });
}

/**
 * A client that counts transactions, and whose `crashAt`-th transaction dies after its work ran
 * but before COMMIT (rolled back); from then on every call fails, like a dead process.
 */
function crashing(client: SqlClient, crashAt = Infinity) {
  let transactions = 0;
  let dead = false;
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'exec') {
        return (...args: unknown[]) => {
          if (dead) return Promise.reject(new Error('the process is dead'));
          return (Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<unknown>).apply(
            target,
            args,
          );
        };
      }
      if (property !== 'transaction') return Reflect.get(target, property, receiver) as unknown;
      return <T>(fn: (tx: SqlTransaction) => Promise<T>, options?: object) => {
        if (dead) return Promise.reject(new Error('the process is dead'));
        const index = ++transactions;
        return target.transaction(async (tx) => {
          const result = await fn(tx);
          if (index === crashAt) {
            dead = true;
            throw new Error('the process died before COMMIT');
          }
          return result;
        }, options);
      };
    },
  });
  return { client: proxy, transactions: () => transactions };
}

async function setUp(fresh: FreshProjectionSchema, events: number, streams = 1) {
  const { client, schema } = await fresh();
  const store = new PostgresEventStore(client, { schema, notify: false });
  for (let index = 0; index < events; index += 10) {
    const size = Math.min(10, events - index);
    await store.appendToStream(`s-${(index / 10) % streams}`, numbered(size, 'Numbered', index + 1));
  }
  const model = new CountingReadModel(schema);
  await model.create(client);
  return { client, schema, store, model };
}

/**
 * The exactly-once behaviour of `definePostgresProjection` with `PostgresProjectionCheckpoints`,
 * run on PGlite (unit) and on a real server (integration).
 */
export function postgresProjectionBehaviour(name: string, fresh: FreshProjectionSchema): void {
  describe(`definePostgresProjection with PostgresProjectionCheckpoints ${name}`, () => {
    it('applies every event once, in one transaction per batch that also saves the checkpoint', async () => {
      const { client, schema, store, model } = await setUp(fresh, 50);
      const counted = crashing(client);
      const checkpoints = new PostgresProjectionCheckpoints(counted.client, { schema });
      await new ProjectionRunner(store, perEvent(model), { checkpoints, batchSize: 20 }).catchUp();
      expect(await model.anomalies(client, 50)).toEqual([]);
      expect(counted.transactions()).toBe(3);
      expect(await new PostgresCheckpointStore(client, { schema }).load('counting')).toBe(50);
    });

    it('applies a batch handler with one statement per batch', async () => {
      const { client, schema, store, model } = await setUp(fresh, 35);
      const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
      await new ProjectionRunner(store, batched(model), { checkpoints, batchSize: 16 }).catchUp();
      expect(await model.anomalies(client, 35)).toEqual([]);
    });

    it('rolls back a failing batch and commits its events one by one up to the poison event', async () => {
      const { client, schema, store, model } = await setUp(fresh, 30);
      const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
      const deadLetters = new PostgresDeadLetterStore(client, { schema });
      const runner = new ProjectionRunner(store, batched(model, 17), {
        checkpoints,
        deadLetters,
        batchSize: 10,
      });
      const error = await runner.catchUp().catch((caught: unknown) => caught);
      expect(isProjectionFailedError(error) && error.position).toBe(17);
      expect(await model.anomalies(client, 16)).toEqual([]);
      expect(await model.count(client)).toBe(16);
      expect(await checkpoints.load('counting-batched')).toBe(16);
      expect((await deadLetters.list('counting-batched')).map((letter) => letter.position)).toEqual([17]);
    });

    it('skips a poison event and applies every other event exactly once', async () => {
      const { client, schema, store, model } = await setUp(fresh, 20);
      const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
      await new ProjectionRunner(store, perEvent(model, 'counting', 5), {
        checkpoints,
        onFailure: 'skip',
        batchSize: 8,
      }).catchUp();
      expect(await model.anomalies(client, 20)).toEqual(['5 applied 0 times']);
      expect(await checkpoints.load('counting')).toBe(20);
    });

    it.each([1, 2, 3, 4])(
      'neither loses nor re-applies an event when the process dies before the COMMIT of transaction %i',
      async (crashAt) => {
        const { client, schema, store, model } = await setUp(fresh, 60, 3);
        const dying = crashing(client, crashAt);
        const first = new ProjectionRunner(store, perEvent(model), {
          checkpoints: new PostgresProjectionCheckpoints(dying.client, { schema }),
          batchSize: 16,
        });
        await expect(first.catchUp()).rejects.toThrow();
        const committed = (await new PostgresCheckpointStore(client, { schema }).load('counting')) ?? 0;
        expect(await model.count(client)).toBe(committed);
        const second = new ProjectionRunner(store, perEvent(model), {
          checkpoints: new PostgresProjectionCheckpoints(client, { schema }),
          batchSize: 16,
        });
        expect(await second.catchUp()).toBe(60);
        expect(await model.anomalies(client, 60)).toEqual([]);
      },
    );

    it('follows live appends of concurrent writers exactly once', async () => {
      const { client, schema, store, model } = await setUp(fresh, 0);
      const runner = new ProjectionRunner(store, batched(model), {
        checkpoints: new PostgresProjectionCheckpoints(client, { schema }),
        batchSize: 25,
      });
      runner.start();
      await Promise.all(
        Array.from({ length: 4 }, async (_, writer) => {
          for (let round = 0; round < 10; round++) {
            await store.appendToStream(`w-${writer}`, numbered(3, 'Numbered', round * 3 + 1));
          }
        }),
      );
      expect(await runner.waitUntilCaughtUp()).toBe(120);
      await runner.stop();
      expect(await model.anomalies(client, 120)).toEqual([]);
    });

    it('rebuilds by truncating the read model and deleting the checkpoint in one transaction', async () => {
      const { client, schema, store, model } = await setUp(fresh, 12);
      const checkpoints = new PostgresProjectionCheckpoints(client, { schema });
      const runner = new ProjectionRunner(store, perEvent(model), { checkpoints });
      await runner.catchUp();
      expect(await runner.rebuild()).toBe(12);
      expect(await model.anomalies(client, 12)).toEqual([]);
    });

    it('is refused by a runner whose checkpoints cannot open a transaction', async () => {
      const { client, schema, model } = await setUp(fresh, 0);
      const store = new PostgresEventStore(client, { schema, notify: false });
      let error: unknown;
      try {
        new ProjectionRunner(store, perEvent(model), {
          checkpoints: new PostgresCheckpointStore(client, { schema }),
        });
      } catch (caught) {
        error = caught;
      }
      expect(isValidationError(error)).toBe(true);
      expect((error as Error).message).toMatch(/checkpoints: must be a TransactionalCheckpointStore/);
    });
  });
}
