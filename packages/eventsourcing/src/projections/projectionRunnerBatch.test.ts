import { isValidationError, throwIfAborted } from '@keel/core';
import type { Policy, PolicyContext } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isProjectionFailedError } from '../errors/errors.js';
import type { SignalOptions } from '../eventStore/eventStore.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { numbered } from '../testing/eventStoreContract.js';
import { InMemoryCheckpointStore } from './checkpointStore.js';
import type { CheckpointStore } from './checkpointStore.js';
import { InMemoryDeadLetterStore } from './deadLetterStore.js';
import type { Projection, ProjectionContext } from './projection.js';
import { ProjectionRunner } from './projectionRunner.js';
import { isTransactionalCheckpointStore } from './projectionRunnerTransaction.js';
import type {
  CheckpointTransactionScope,
  TransactionalCheckpointStore,
} from './projectionRunnerTransaction.js';

async function storeWith(count: number): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  if (count > 0) await store.appendToStream('s-1', numbered(count));
  return store;
}

/** A checkpoint store that counts its saves. */
class CountingCheckpoints extends InMemoryCheckpointStore {
  readonly saved: number[] = [];
  override async save(name: string, position: number, options?: SignalOptions): Promise<void> {
    this.saved.push(position);
    await super.save(name, position, options);
  }
}

/** A policy that retries immediately up to `attempts` times, counting its calls. */
function retryPolicy(attempts: number): Policy & { calls: number } {
  const policy = {
    calls: 0,
    async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
      policy.calls++;
      const context = { signal: signal ?? new AbortController().signal };
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(context);
        } catch (error) {
          if (attempt >= attempts) throw error;
        }
      }
    },
  };
  return policy;
}

/** A read model in memory: how many times each position was applied (committed). */
class FakeTransaction {
  constructor(
    readonly applied: Map<number, number>,
    readonly checkpoints: Map<string, number>,
  ) {}
  apply(position: number): void {
    this.applied.set(position, (this.applied.get(position) ?? 0) + 1);
  }
}

/**
 * A database with transactions: work sees copies of the read model and the checkpoints, which
 * replace the committed ones only when the work resolves and the signal is not aborted.
 */
class FakeDatabase implements TransactionalCheckpointStore<FakeTransaction> {
  applied = new Map<number, number>();
  checkpoints = new Map<string, number>();
  transactions = 0;

  async load(name: string): Promise<number | undefined> {
    return this.checkpoints.get(name);
  }
  async save(name: string, position: number): Promise<void> {
    this.checkpoints.set(name, position);
  }
  async delete(name: string): Promise<void> {
    this.checkpoints.delete(name);
  }
  async inTransaction<T>(
    work: (scope: CheckpointTransactionScope<FakeTransaction>) => Promise<T>,
    options: SignalOptions = {},
  ): Promise<T> {
    this.transactions++;
    const tx = new FakeTransaction(new Map(this.applied), new Map(this.checkpoints));
    const checkpoints: CheckpointStore = {
      load: async (name) => tx.checkpoints.get(name),
      save: async (name, position) => void tx.checkpoints.set(name, position),
      delete: async (name) => void tx.checkpoints.delete(name),
    };
    const result = await work({ transaction: tx, checkpoints });
    throwIfAborted(options.signal);
    this.applied = tx.applied;
    this.checkpoints = tx.checkpoints;
    return result;
  }
  /** Positions applied more than once, or missing up to `head`. */
  anomalies(head: number): string[] {
    const problems: string[] = [];
    for (let position = 1; position <= head; position++) {
      const times = this.applied.get(position) ?? 0;
      if (times !== 1) problems.push(`${position} applied ${times} times`);
    }
    return problems;
  }
}

/** A projection that applies each event in the runner's transaction and fails on `poison`. */
function transactionalProjection(poison: ReadonlySet<number> = new Set()): Projection {
  const apply = (event: RecordedEvent, context: ProjectionContext): void => {
    if (poison.has(event.globalPosition)) throw new Error(`poison ${event.globalPosition}`);
    (context.transaction as FakeTransaction).apply(event.globalPosition);
  };
  return {
    name: 'tx',
    handle: apply,
    handleBatch: (events, context) => events.forEach((event) => apply(event, context)),
    reset: (context) => (context.transaction as FakeTransaction).applied.clear(),
  };
}

describe('ProjectionRunner batches', () => {
  it('saves one checkpoint per batch of at most batchSize events for a per-event projection', async () => {
    const store = await storeWith(10);
    const checkpoints = new CountingCheckpoints();
    const handled: number[] = [];
    const projection: Projection = {
      name: 'each',
      handle: (event) => void handled.push(event.globalPosition),
    };
    await new ProjectionRunner(store, projection, { checkpoints, batchSize: 4 }).catchUp();
    expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(checkpoints.saved).toEqual([4, 8, 10]);
  });

  it('hands a batch handler the events in order, in batches of at most batchSize, and never calls handle', async () => {
    const store = await storeWith(7);
    const batches: number[][] = [];
    const projection: Projection = {
      name: 'batched',
      handle: () => {
        throw new Error('handle must not be called');
      },
      handleBatch: (events) => void batches.push(events.map((event) => event.globalPosition)),
    };
    await new ProjectionRunner(store, projection, { batchSize: 3 }).catchUp();
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('checkpoints every event on its own with batchSize 1', async () => {
    const store = await storeWith(3);
    const checkpoints = new CountingCheckpoints();
    const projection: Projection = { name: 'one', handle: () => {} };
    await new ProjectionRunner(store, projection, { checkpoints, batchSize: 1 }).catchUp();
    expect(checkpoints.saved).toEqual([1, 2, 3]);
  });

  it('reads pages of pageSize and still batches at most batchSize events', async () => {
    const store = await storeWith(5);
    const batches: number[] = [];
    const projection: Projection = {
      name: 'pages',
      handle: () => {},
      handleBatch: (events) => void batches.push(events.length),
    };
    await new ProjectionRunner(store, projection, { batchSize: 2, pageSize: 5 }).catchUp();
    expect(batches).toEqual([2, 2, 1]);
  });

  it('finds the failing event of a failed batch one by one, dead-letters exactly it and checkpoints just before it', async () => {
    const store = await storeWith(6);
    const checkpoints = new CountingCheckpoints();
    const deadLetters = new InMemoryDeadLetterStore();
    const perEvent: number[] = [];
    const projection: Projection = {
      name: 'poison',
      handle: (event) => {
        if (event.globalPosition === 3) throw new Error('poison 3');
        perEvent.push(event.globalPosition);
      },
      handleBatch: (events) => {
        if (events.some((event) => event.globalPosition === 3)) throw new Error('batch with 3');
      },
    };
    const runner = new ProjectionRunner(store, projection, { checkpoints, deadLetters, batchSize: 6 });
    const error = await runner.catchUp().catch((caught: unknown) => caught);
    expect(isProjectionFailedError(error)).toBe(true);
    expect(error).toMatchObject({ position: 3 });
    expect(perEvent).toEqual([1, 2]);
    expect(checkpoints.saved).toEqual([2]);
    expect((await deadLetters.list()).map((letter) => [letter.position, letter.error.message])).toEqual([
      [3, 'poison 3'],
    ]);
  });

  it('skips the failing event of a failed batch and checkpoints the whole batch once', async () => {
    const store = await storeWith(5);
    const checkpoints = new CountingCheckpoints();
    const deadLetters = new InMemoryDeadLetterStore();
    const perEvent: number[] = [];
    const projection: Projection = {
      name: 'skip',
      handle: (event) => {
        if (event.globalPosition === 5) throw new Error('poison 5');
        perEvent.push(event.globalPosition);
      },
      handleBatch: () => {
        throw new Error('always');
      },
    };
    await new ProjectionRunner(store, projection, {
      checkpoints,
      deadLetters,
      onFailure: 'skip',
      batchSize: 5,
    }).catchUp();
    expect(perEvent).toEqual([1, 2, 3, 4]);
    expect(checkpoints.saved).toEqual([5]);
    expect((await deadLetters.list()).map((letter) => letter.position)).toEqual([5]);
  });

  it('retries a failed batch through the policy before falling back to single events', async () => {
    const store = await storeWith(4);
    const policy = retryPolicy(3);
    let failures = 2;
    const batches: number[] = [];
    const projection: Projection = {
      name: 'flaky',
      handle: () => {
        throw new Error('handle must not be called');
      },
      handleBatch: (events) => {
        if (failures-- > 0) throw new Error('flaky');
        batches.push(events.length);
      },
    };
    await new ProjectionRunner(store, projection, { policy, batchSize: 4 }).catchUp();
    expect(batches).toEqual([4]);
    expect(policy.calls).toBe(1);
  });

  it('does not re-handle the events before a poison event of a per-event projection', async () => {
    const store = await storeWith(5);
    const calls: number[] = [];
    const projection: Projection = {
      name: 'each',
      handle: (event) => {
        calls.push(event.globalPosition);
        if (event.globalPosition === 4) throw new Error('poison 4');
      },
    };
    const checkpoints = new CountingCheckpoints();
    await expect(new ProjectionRunner(store, projection, { checkpoints }).catchUp()).rejects.toThrow(
      /global position 4/,
    );
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(checkpoints.saved).toEqual([3]);
  });

  it('batches live events that arrive while a batch is handled', async () => {
    const store = await storeWith(0);
    const checkpoints = new CountingCheckpoints();
    const handled: number[] = [];
    const projection: Projection = {
      name: 'live',
      handle: async (event) => {
        handled.push(event.globalPosition);
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    const runner = new ProjectionRunner(store, projection, { checkpoints, batchSize: 50 });
    runner.start();
    for (let index = 0; index < 20; index++) await store.appendToStream(`s-${index}`, numbered(10));
    expect(await runner.waitUntilCaughtUp()).toBe(200);
    await runner.stop();
    expect(handled).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
    expect(checkpoints.saved.length).toBeLessThan(20);
    expect(checkpoints.saved.at(-1)).toBe(200);
  });

  it('resolves waitUntilCaughtUp only once the events read ahead are handled and checkpointed', async () => {
    const store = await storeWith(3);
    const checkpoints = new InMemoryCheckpointStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runner = new ProjectionRunner(store, { name: 'gated', handle: () => gate }, { checkpoints });
    runner.start();
    let caughtUp = false;
    const waiting = runner.waitUntilCaughtUp().then((position) => {
      caughtUp = true;
      return position;
    });
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(caughtUp).toBe(false);
    expect(runner.position).toBe(0);
    release();
    expect(await waiting).toBe(3);
    expect(await checkpoints.load('gated')).toBe(3);
    await runner.stop();
  });

  it.each([
    ['a batch handler', 'stop'],
    ['a batch handler', 'skip'],
    ['a per-event handler', 'stop'],
    ['a per-event handler', 'skip'],
  ] as const)(
    'surfaces a failed checkpoint save with %s (onFailure %s) as the store error, dead-lettering nothing',
    async (kind, onFailure) => {
      const store = await storeWith(2);
      const blip = new Error('checkpoint store unavailable');
      const checkpoints = new (class extends InMemoryCheckpointStore {
        override async save(): Promise<void> {
          throw blip;
        }
      })();
      const deadLetters = new InMemoryDeadLetterStore();
      const handled: number[] = [];
      const projection: Projection = {
        name: 'flaky-checkpoints',
        handle: (event) => void handled.push(event.globalPosition),
        ...(kind === 'a batch handler'
          ? {
              handleBatch: (events: readonly RecordedEvent[]) =>
                events.forEach((event) => handled.push(event.globalPosition)),
            }
          : {}),
      };
      const runner = new ProjectionRunner(store, projection, { checkpoints, deadLetters, onFailure });
      const error = await runner.catchUp().catch((caught: unknown) => caught);
      expect(error).toBe(blip);
      expect(isProjectionFailedError(error)).toBe(false);
      expect(await deadLetters.list()).toEqual([]);
      expect(handled).toEqual([1, 2]);
      expect(await checkpoints.load('flaky-checkpoints')).toBeUndefined();
      expect(runner.status).toBe('failed');
    },
  );

  it('refuses bad batch options at construction, listing each, and takes undefined as the default', () => {
    const store = new InMemoryEventStore();
    const projection: Projection = { name: 'p', handle: () => {} };
    let error: unknown;
    try {
      new ProjectionRunner(store, projection, {
        batchSize: 0,
        pageSize: 1.5,
        onFailure: 'retry' as 'stop',
        checkpoints: {} as CheckpointStore,
      });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    const message = (error as Error).message;
    for (const option of ['batchSize', 'pageSize', 'onFailure', 'checkpoints'])
      expect(message).toContain(option);
    expect(
      () => new ProjectionRunner(store, projection, { batchSize: undefined, pageSize: undefined }),
    ).not.toThrow();
    expect(() => new ProjectionRunner(store, { name: 'no handler' } as Projection)).toThrow(/handle/);
  });

  it('refuses a clock without now and a logger without child with a ValidationError, not at first use', () => {
    const store = new InMemoryEventStore();
    const projection: Projection = { name: 'p', handle: () => {} };
    const noop = (): void => {};
    const logger = { warn: noop, error: noop, child: () => logger };
    expect(
      () =>
        new ProjectionRunner(store, projection, {
          clock: { now: () => 0 } as never,
          logger: logger as never,
        }),
    ).not.toThrow();
    let error: unknown;
    try {
      new ProjectionRunner(store, projection, {
        clock: {} as never,
        logger: { warn: noop, error: noop } as never,
      });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect(String(error)).toMatch(/clock: must be a Clock \(with now\)/);
    expect(String(error)).toMatch(/logger: must be a Logger \(with warn, error, child\)/);
  });
});

describe('ProjectionRunner with a transactional checkpoint store', () => {
  it('refuses, at construction, a projection that requires a transaction without a transactional store', () => {
    const store = new InMemoryEventStore();
    const projection: Projection = { ...transactionalProjection(), requiresTransaction: true };
    expect(() => new ProjectionRunner(store, projection)).toThrow(
      /checkpoints: must be a TransactionalCheckpointStore/,
    );
    expect(
      () => new ProjectionRunner(store, projection, { checkpoints: new InMemoryCheckpointStore() }),
    ).toThrow(/TransactionalCheckpointStore/);
    expect(() => new ProjectionRunner(store, projection, { checkpoints: new FakeDatabase() })).not.toThrow();
  });

  it('recognises a transactional checkpoint store', () => {
    expect(isTransactionalCheckpointStore(new FakeDatabase())).toBe(true);
    expect(isTransactionalCheckpointStore(new InMemoryCheckpointStore())).toBe(false);
  });

  it('runs each batch and its checkpoint in one transaction, handing handlers the transaction', async () => {
    const store = await storeWith(10);
    const database = new FakeDatabase();
    await new ProjectionRunner(store, transactionalProjection(), {
      checkpoints: database,
      batchSize: 4,
    }).catchUp();
    expect(database.transactions).toBe(3);
    expect(database.anomalies(10)).toEqual([]);
    expect(database.checkpoints.get('tx')).toBe(10);
  });

  it('rolls a failed batch back and commits its events one by one up to the poison event', async () => {
    const store = await storeWith(6);
    const database = new FakeDatabase();
    const deadLetters = new InMemoryDeadLetterStore();
    const runner = new ProjectionRunner(store, transactionalProjection(new Set([4])), {
      checkpoints: database,
      deadLetters,
      batchSize: 6,
    });
    await expect(runner.catchUp()).rejects.toThrow(/global position 4/);
    expect([...database.applied.keys()]).toEqual([1, 2, 3]);
    expect(database.anomalies(3)).toEqual([]);
    expect(database.checkpoints.get('tx')).toBe(3);
    expect((await deadLetters.list()).map((letter) => letter.position)).toEqual([4]);
  });

  it('skips a poison event in transactional mode and applies every other event exactly once', async () => {
    const store = await storeWith(6);
    const database = new FakeDatabase();
    await new ProjectionRunner(store, transactionalProjection(new Set([2, 6])), {
      checkpoints: database,
      onFailure: 'skip',
      batchSize: 3,
    }).catchUp();
    expect([...database.applied.keys()].sort((a, b) => a - b)).toEqual([1, 3, 4, 5]);
    expect([...database.applied.values()].every((times) => times === 1)).toBe(true);
    expect(database.checkpoints.get('tx')).toBe(6);
  });

  it('never applies an event twice nor loses one when stopped in the middle of a batch and restarted', async () => {
    const store = await storeWith(20);
    const database = new FakeDatabase();
    let block = true;
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const base = transactionalProjection();
    const projection: Projection = {
      ...base,
      handleBatch: async (events, context) => {
        await base.handleBatch!(events, context);
        if (block && events.some((event) => event.globalPosition > 8)) {
          entered();
          await new Promise<void>((_, reject) =>
            context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)),
          );
        }
      },
    };
    const first = new ProjectionRunner(store, projection, { checkpoints: database, batchSize: 4 });
    first.start();
    await inside;
    await first.stop();
    const checkpoint = database.checkpoints.get('tx') ?? 0;
    expect(checkpoint).toBeLessThan(9);
    expect(database.anomalies(checkpoint)).toEqual([]);
    expect(Math.max(0, ...database.applied.keys())).toBe(checkpoint);
    block = false;
    const second = new ProjectionRunner(store, projection, { checkpoints: database, batchSize: 4 });
    second.start();
    expect(await second.waitUntilCaughtUp()).toBe(20);
    await second.stop();
    expect(database.anomalies(20)).toEqual([]);
  });

  it('rebuilds by resetting the read model and deleting the checkpoint in one transaction', async () => {
    const store = await storeWith(5);
    const database = new FakeDatabase();
    const runner = new ProjectionRunner(store, transactionalProjection(), { checkpoints: database });
    await runner.catchUp();
    const before = database.transactions;
    await runner.rebuild();
    expect(database.transactions).toBe(before + 2);
    expect(database.anomalies(5)).toEqual([]);
    expect(database.checkpoints.get('tx')).toBe(5);
  });
});
