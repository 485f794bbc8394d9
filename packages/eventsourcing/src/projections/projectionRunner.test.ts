import { isCancelledError, ManualClock } from '@keel/core';
import type { Policy, PolicyContext } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isProjectionFailedError, ProjectionFailedError } from '../errors/errors.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { numbered } from '../testing/eventStoreContract.js';
import { InMemoryCheckpointStore } from './checkpointStore.js';
import { InMemoryDeadLetterStore } from './deadLetterStore.js';
import { defineProjection } from './projection.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './projectionRunner.js';
import type { ProjectionProgress } from './projectionRunnerOptions.js';

/** A projection that records the positions it handled and fails on the given ones. */
function recording(failOn: (event: RecordedEvent, attempt: number) => boolean = () => false) {
  const handled: number[] = [];
  const attempts = new Map<number, number>();
  let resets = 0;
  const projection: Projection = {
    name: 'recording',
    handle(event) {
      const attempt = (attempts.get(event.globalPosition) ?? 0) + 1;
      attempts.set(event.globalPosition, attempt);
      if (failOn(event, attempt)) throw new Error(`cannot handle ${event.globalPosition}`);
      handled.push(event.globalPosition);
    },
    reset: () => {
      resets++;
      handled.length = 0;
    },
  };
  return { projection, handled, attempts, resets: () => resets };
}

/** A policy that retries immediately up to `attempts` times. */
function retryPolicy(attempts: number): Policy {
  return {
    async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
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
}

async function storeWith(count: number) {
  const store = new InMemoryEventStore();
  await store.appendToStream('s-1', numbered(count));
  return store;
}

/** A promise opened from outside. */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * A projection into `model` whose handler, while `hold` is set, reports the event it entered
 * and waits for `hold.release` before applying it.
 */
function holding(model: Set<number>) {
  const state: {
    hold:
      { readonly entered: ReturnType<typeof gate>; readonly release: ReturnType<typeof gate> } | undefined;
  } = {
    hold: undefined,
  };
  const projection: Projection = {
    name: 'holding',
    async handle(event) {
      const hold = state.hold;
      if (hold !== undefined) {
        state.hold = undefined;
        hold.entered.open();
        await hold.release.opened;
      }
      model.add(event.globalPosition);
    },
    reset: () => model.clear(),
  };
  /** Holds the next event handled; resolves once its handler is entered. */
  const holdNext = () => {
    const hold = { entered: gate(), release: gate() };
    state.hold = hold;
    return { entered: hold.entered.opened, release: hold.release.open };
  };
  return { projection, holdNext };
}

describe('ProjectionRunner', () => {
  it('handles every event in order and checkpoints the last position', async () => {
    const store = await storeWith(5);
    const checkpoints = new InMemoryCheckpointStore();
    const { projection, handled } = recording();
    const head = await new ProjectionRunner(store, projection, { checkpoints }).catchUp();
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(head).toBe(5);
    expect(await checkpoints.load('recording')).toBe(5);
  });

  it('resumes after the checkpoint in a new runner', async () => {
    const store = await storeWith(3);
    const checkpoints = new InMemoryCheckpointStore();
    await new ProjectionRunner(store, recording().projection, { checkpoints }).catchUp();
    await store.appendToStream('s-1', numbered(2));
    const second = recording();
    await new ProjectionRunner(store, second.projection, { checkpoints }).catchUp();
    expect(second.handled).toEqual([4, 5]);
  });

  it('saves the checkpoint only after the handler, so a failed event is delivered again on restart', async () => {
    const store = await storeWith(4);
    const checkpoints = new InMemoryCheckpointStore();
    let broken = true;
    const { projection, handled } = recording((event) => broken && event.globalPosition === 3);
    const runner = new ProjectionRunner(store, projection, { checkpoints });
    await expect(runner.catchUp()).rejects.toBeInstanceOf(ProjectionFailedError);
    expect(await checkpoints.load('recording')).toBe(2);
    broken = false;
    await runner.catchUp();
    expect(handled).toEqual([1, 2, 3, 4]);
  });

  it('retries a failing handler through the policy', async () => {
    const store = await storeWith(3);
    const deadLetters = new InMemoryDeadLetterStore();
    const { projection, handled, attempts } = recording(
      (event, attempt) => event.globalPosition === 2 && attempt < 3,
    );
    await new ProjectionRunner(store, projection, { policy: retryPolicy(3), deadLetters }).catchUp();
    expect(handled).toEqual([1, 2, 3]);
    expect(attempts.get(2)).toBe(3);
    expect(await deadLetters.list()).toEqual([]);
  });

  it('dead-letters an event that keeps failing and stops with the position', async () => {
    const store = await storeWith(4);
    const deadLetters = new InMemoryDeadLetterStore();
    const { projection, handled } = recording((event) => event.globalPosition === 2);
    const clock = new ManualClock(Date.UTC(2026, 10, 24));
    const runner = new ProjectionRunner(store, projection, { policy: retryPolicy(2), deadLetters, clock });
    const error = await runner.catchUp().catch((caught: unknown) => caught);
    expect(isProjectionFailedError(error)).toBe(true);
    expect(error).toMatchObject({ position: 2, projection: 'recording' });
    expect(runner.status).toBe('failed');
    expect(handled).toEqual([1]);
    const [letter] = await deadLetters.list('recording');
    expect(letter).toMatchObject({
      position: 2,
      error: { message: 'cannot handle 2' },
      event: { globalPosition: 2 },
    });
  });

  it('skips an event that keeps failing when told to, and goes on', async () => {
    const store = await storeWith(4);
    const deadLetters = new InMemoryDeadLetterStore();
    const checkpoints = new InMemoryCheckpointStore();
    const { projection, handled } = recording((event) => event.globalPosition === 2);
    await new ProjectionRunner(store, projection, { deadLetters, checkpoints, onFailure: 'skip' }).catchUp();
    expect(handled).toEqual([1, 3, 4]);
    expect((await deadLetters.list()).map((letter) => letter.position)).toEqual([2]);
    expect(await checkpoints.load('recording')).toBe(4);
  });

  it('rebuilds from zero after a reset, reporting progress', async () => {
    const store = await storeWith(5);
    const checkpoints = new InMemoryCheckpointStore();
    const recorder = recording();
    const runner = new ProjectionRunner(store, recorder.projection, {
      checkpoints,
      progressEvery: 2,
      batchSize: 2,
    });
    await runner.catchUp();
    const progress: ProjectionProgress[] = [];
    const head = await runner.rebuild({ onProgress: (step) => progress.push(step) });
    expect(head).toBe(5);
    expect(recorder.resets()).toBe(1);
    expect(recorder.handled).toEqual([1, 2, 3, 4, 5]);
    expect(progress.map((step) => step.processed)).toEqual([2, 4, 5]);
    expect(progress.at(-1)).toEqual({ processed: 5, position: 5, headPosition: 5 });
  });

  it('follows live events once started and resolves waitUntilCaughtUp when they are handled', async () => {
    const store = await storeWith(2);
    const { projection, handled } = recording();
    const runner = new ProjectionRunner(store, projection);
    runner.start();
    expect(await runner.waitUntilCaughtUp()).toBe(2);
    await store.appendToStream('s-2', numbered(3));
    expect(await runner.waitUntilCaughtUp()).toBe(5);
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    await runner.stop();
    expect(runner.status).toBe('stopped');
  });

  it('handles every live event exactly once and in order while appends race it', async () => {
    const store = await storeWith(10);
    const { projection, handled } = recording();
    const runner = new ProjectionRunner(store, projection, { pageSize: 3 });
    runner.start();
    for (let index = 0; index < 30; index++) {
      await store.appendToStream(`s-${index % 4}`, numbered(1 + (index % 3)));
      if (index % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const head = await runner.waitUntilCaughtUp();
    expect(handled).toEqual(Array.from({ length: head }, (_, index) => index + 1));
    await runner.stop();
  });

  it('catches up past trailing events its filter skips', async () => {
    const store = new InMemoryEventStore();
    const seen: number[] = [];
    const projection = defineProjection<{ type: 'Wanted'; data: { n: number } }>({
      name: 'filtered',
      handlers: { Wanted: (event) => void seen.push(event.data.n) },
    });
    const runner = new ProjectionRunner(store, projection);
    runner.start();
    await store.appendToStream('s', [...numbered(2, 'Wanted'), ...numbered(3, 'Noise')]);
    expect(await runner.waitUntilCaughtUp()).toBe(5);
    expect(seen).toEqual([1, 2]);
    await runner.stop();
  });

  it('rejects waitUntilCaughtUp when the runner is not running', async () => {
    const store = await storeWith(1);
    const runner = new ProjectionRunner(store, recording().projection);
    const error = await runner.waitUntilCaughtUp().catch((caught: unknown) => caught);
    expect(isCancelledError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /is idle, so it will not reach position 1; call start\(\) first/,
    );
  });

  it('rejects a pending waitUntilCaughtUp with the failure when the running projection fails', async () => {
    const store = await storeWith(1);
    const runner = new ProjectionRunner(store, recording((event) => event.globalPosition === 2).projection);
    runner.start();
    await runner.waitUntilCaughtUp();
    const waiting = store.appendToStream('s-1', numbered(1)).then(() => runner.waitUntilCaughtUp());
    await expect(waiting).rejects.toBeInstanceOf(ProjectionFailedError);
    expect(runner.status).toBe('failed');
  });

  it('restarts a running runner after a rebuild', async () => {
    const store = await storeWith(3);
    const recorder = recording();
    const runner = new ProjectionRunner(store, recorder.projection);
    runner.start();
    await runner.waitUntilCaughtUp();
    await runner.rebuild();
    expect(runner.status).toBe('running');
    await store.appendToStream('s-1', numbered(1));
    await runner.waitUntilCaughtUp();
    expect(recorder.handled).toEqual([1, 2, 3, 4]);
    await runner.stop();
  });

  it('rebuilds the whole read model when rebuild() is called during a catch-up', async () => {
    const store = await storeWith(4);
    const checkpoints = new InMemoryCheckpointStore();
    const model = new Set<number>();
    const { projection, holdNext } = holding(model);
    const runner = new ProjectionRunner(store, projection, { checkpoints, batchSize: 1 });
    const held = holdNext();
    const caughtUp = runner.catchUp();
    await held.entered;
    const rebuilt = runner.rebuild();
    held.release();
    expect(await caughtUp).toBe(4);
    expect(await rebuilt).toBe(4);
    expect([...model].sort()).toEqual([1, 2, 3, 4]);
    expect(await checkpoints.load('holding')).toBe(4);
    expect(runner.status).toBe('idle');
  });

  it('stays stopped when stop() is called during a rebuild of a started runner', async () => {
    const store = await storeWith(3);
    const { projection, holdNext } = holding(new Set());
    const runner = new ProjectionRunner(store, projection, { batchSize: 1 });
    runner.start();
    await runner.waitUntilCaughtUp();
    const held = holdNext();
    const rebuilt = runner.rebuild().catch((error: unknown) => error);
    await held.entered;
    const stopped = runner.stop();
    held.release();
    await stopped;
    expect(runner.status).toBe('stopped');
    expect(isCancelledError(await rebuilt)).toBe(true);
    expect(runner.status).toBe('stopped');
  });

  it('follows live events when start() is called during a catch-up', async () => {
    const store = await storeWith(2);
    const model = new Set<number>();
    const { projection, holdNext } = holding(model);
    const runner = new ProjectionRunner(store, projection, { batchSize: 1 });
    const held = holdNext();
    const caughtUp = runner.catchUp();
    await held.entered;
    runner.start();
    held.release();
    expect(await caughtUp).toBe(2);
    expect(runner.status).toBe('running');
    await store.appendToStream('s-1', numbered(1));
    expect(await runner.waitUntilCaughtUp()).toBe(3);
    expect([...model].sort()).toEqual([1, 2, 3]);
    await runner.stop();
  });

  it('passes an abortable signal to handlers that aborts when the runner stops', async () => {
    const store = await storeWith(1);
    let handlerSignal: AbortSignal | undefined;
    let release: () => void = () => {};
    const runner = new ProjectionRunner(store, {
      name: 'slow',
      handle: (_event, { signal }) => {
        handlerSignal = signal;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    runner.start();
    // A few turns of the event loop: the runner reads, then hands the batch over.
    for (let turn = 0; turn < 10 && handlerSignal === undefined; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stopped = runner.stop();
    expect(handlerSignal?.aborted).toBe(true);
    release();
    await stopped;
    expect(runner.status).toBe('stopped');
  });

  it('stops when disposed', async () => {
    const store = await storeWith(1);
    const runner = new ProjectionRunner(store, recording().projection);
    {
      await using running = runner;
      running.start();
      await running.waitUntilCaughtUp();
    }
    expect(runner.status).toBe('stopped');
  });

  it('rejects a progress interval below 1 at construction', () => {
    expect(
      () => new ProjectionRunner(new InMemoryEventStore(), recording().projection, { progressEvery: 0 }),
    ).toThrow(/progressEvery/);
  });
});
