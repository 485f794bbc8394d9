import {
  abortReason,
  assertOptions,
  CancelledError,
  noopLogger,
  noopPolicy,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionObject,
  optionOneOf,
  optionRule,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Logger } from '@keel/core';
import type { EventStore } from '../eventStore/eventStore.js';
import { InMemoryCheckpointStore } from './checkpointStore.js';
import type { CheckpointStore } from './checkpointStore.js';
import type { Projection } from './projection.js';
import { PositionWaiters } from './positionWaiters.js';
import { BatchHandler } from './projectionRunnerBatch.js';
import { isTransactionalCheckpointStore } from './projectionRunnerTransaction.js';
import { RUNNER_DEFAULTS } from './projectionRunnerOptions.js';
import type {
  CatchUpRunOptions,
  ProjectionProgress,
  ProjectionRunnerOptions,
  ProjectionStatus,
} from './projectionRunnerOptions.js';
import { ReadAhead } from './projectionRunnerReadAhead.js';
import { ProjectionTelemetry } from './projectionTelemetry.js';
import type { ReadAheadBatch } from './projectionRunnerReadAhead.js';

/**
 * Runs a {@link Projection} over the store's global order with a checkpoint, in batches: the
 * events the store delivered while the previous batch was handled, up to `batchSize`, are
 * handled together (by `handleBatch`, or `handle` per event) and covered by one checkpoint save.
 * At-least-once (the checkpoint is saved after the handlers), or exactly-once when the
 * checkpoint store is a `TransactionalCheckpointStore` (the batch and its checkpoint commit in
 * one transaction). Handler calls are wrapped in a `Policy`; when a batch still fails, its
 * events are handled one by one so the failing event is the one dead-lettered, then the runner
 * stops or skips it. `start()` catches up and follows live events; `catchUp()` processes up to
 * the current head and returns; `rebuild()` resets the read model and replays from zero.
 *
 * @example
 * ```ts
 * const runner = new ProjectionRunner(store, balances, { checkpoints, policy: retry(...) });
 * runner.start();
 * await runner.waitUntilCaughtUp();
 * ```
 */
export class ProjectionRunner {
  readonly #store: EventStore;
  readonly #projection: Projection;
  readonly #checkpoints: CheckpointStore;
  readonly #batches: BatchHandler;
  readonly #batchSize: number;
  readonly #pageSize: number;
  readonly #progressEvery: number;
  readonly #logger: Logger;
  readonly #waiters = new PositionWaiters();
  readonly #telemetry: ProjectionTelemetry;
  #status: ProjectionStatus = 'idle';
  #error: unknown;
  #controller: AbortController | undefined;
  #done: Promise<void> | undefined;

  /**
   * @param store The event store (wrap it with `withUpcasting` for upcast events).
   * @param projection The projection to run.
   * @param options See {@link ProjectionRunnerOptions}.
   * @throws ValidationError when `batchSize`, `pageSize` or `progressEvery` is not an integer
   *   >= 1, `onFailure` is not `stop` or `skip`, an object option is not of its kind, the
   *   projection has no `handle` function, or it `requiresTransaction` and `checkpoints` is not
   *   a `TransactionalCheckpointStore`.
   */
  constructor(store: EventStore, projection: Projection, options: ProjectionRunnerOptions = {}) {
    const settings = withDefaults(RUNNER_DEFAULTS, options);
    assertOptions(`projection runner "${String(projection.name)}"`, {
      batchSize: optionInteger(settings.batchSize, { min: 1 }),
      pageSize: optionInteger(settings.pageSize, { min: 1 }),
      progressEvery: optionInteger(settings.progressEvery, { min: 1 }),
      onFailure: optionOneOf(settings.onFailure, ['stop', 'skip']),
      checkpoints:
        optionObject(settings.checkpoints, 'a CheckpointStore', ['load', 'save', 'delete']) ??
        optionRule(
          projection.requiresTransaction !== true ||
            (settings.checkpoints !== undefined && isTransactionalCheckpointStore(settings.checkpoints)),
          `must be a TransactionalCheckpointStore (e.g. PostgresProjectionCheckpoints): the projection writes its read model with context.transaction.`,
        ),
      policy: optionObject(settings.policy, 'a Policy', ['execute']),
      deadLetters: optionObject(settings.deadLetters, 'a DeadLetterStore', ['add', 'list', 'remove']),
      clock: optionClock(settings.clock, ['now']),
      // It logs through child(): the parent must have the levels its child (a logger alike) logs at.
      logger: optionLogger(settings.logger, { uses: ['warn', 'error', 'child'] }),
      'projection.handle': optionFunction(projection.handle, true),
      'projection.handleBatch': optionFunction(projection.handleBatch),
    });
    this.#store = store;
    this.#projection = projection;
    this.#checkpoints = settings.checkpoints ?? new InMemoryCheckpointStore();
    this.#batchSize = settings.batchSize;
    this.#pageSize = settings.pageSize ?? settings.batchSize;
    this.#progressEvery = settings.progressEvery;
    this.#logger = (settings.logger ?? noopLogger).child({ projection: projection.name });
    this.#telemetry = new ProjectionTelemetry(projection.name, settings.clock ?? systemClock);
    this.#batches = new BatchHandler({
      telemetry: this.#telemetry,
      projection,
      checkpoints: this.#checkpoints,
      policy: settings.policy ?? noopPolicy,
      deadLetters: settings.deadLetters,
      onFailure: settings.onFailure,
      clock: settings.clock ?? systemClock,
      logger: this.#logger,
    });
  }

  /** The projection's name. */
  get name(): string {
    return this.#projection.name;
  }

  /** `idle` before the first run, `running`, `stopped` after {@link stop}, `failed` after a poison event. */
  get status(): ProjectionStatus {
    return this.#status;
  }

  /** Why the runner failed, when {@link status} is `failed`. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * The global position every event up to which has been handled (or filtered out) and
   * checkpointed in this process.
   */
  get position(): number {
    return this.#waiters.position;
  }

  /**
   * Starts following the store in the background: catches up from the checkpoint, then handles
   * live events. Does nothing when already running. Watch {@link status} and {@link error}, or
   * await {@link waitUntilCaughtUp}, to see failures.
   */
  start(): void {
    if (this.#status === 'running') return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#begin();
    this.#done = this.#follow(controller.signal).then(
      () => this.#end(undefined, controller.signal),
      (error: unknown) => this.#end(error, controller.signal),
    );
  }

  /**
   * Stops the background run and resolves once the current batch has settled (a batch in a
   * transaction is rolled back; its events are handled again on the next start).
   */
  async stop(): Promise<void> {
    this.#controller?.abort(new CancelledError(`Projection "${this.name}" was stopped.`));
    await this.#done;
  }

  /** Stops the runner (like {@link stop}); for `await using runner = ...`. */
  async close(): Promise<void> {
    await this.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Handles every event up to the store's head at the time of the call, then resolves with
   * that head. While the runner is running in the background, waits for it instead.
   *
   * @throws ProjectionFailedError when an event fails and `onFailure` is `stop`.
   */
  async catchUp(options: CatchUpRunOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    if (this.#status === 'running') return this.waitUntilCaughtUp(options);
    this.#begin();
    try {
      const head = await this.#catchUp(options);
      this.#status = 'idle';
      return head;
    } catch (error) {
      this.#end(error, options.signal);
      throw error;
    }
  }

  /**
   * Clears the read model (`projection.reset`) and the checkpoint (both in one transaction
   * with a `TransactionalCheckpointStore`), then replays every event from position 0 up to the
   * current head, reporting progress. A running runner is stopped first and restarted afterwards.
   *
   * @returns The head position the rebuild reached.
   */
  async rebuild(options: CatchUpRunOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    return this.#telemetry.rebuild(options, (traced) => this.#rebuild(traced));
  }

  async #rebuild(options: CatchUpRunOptions): Promise<number> {
    const wasRunning = this.#status === 'running';
    if (wasRunning) await this.stop();
    await this.#batches.reset(options.signal ?? new AbortController().signal);
    this.#waiters.reset(0);
    const head = await this.catchUp(options);
    if (wasRunning) this.start();
    return head;
  }

  /**
   * Resolves once the running runner has handled every event that existed when it was called
   * (the store's head then), with the position reached.
   *
   * @throws CancelledError when the runner is not running or stops before catching up.
   * @throws The runner's error when it fails before catching up.
   */
  async waitUntilCaughtUp(options: { signal?: AbortSignal } = {}): Promise<number> {
    throwIfAborted(options.signal);
    const target = await this.#store.headPosition(options);
    if (this.#waiters.position >= target) return this.#waiters.position;
    if (this.#status !== 'running') {
      throw new CancelledError(
        `Projection "${this.name}" is ${this.#status}, so it will not reach position ${target}; call start() first.`,
      );
    }
    return this.#waiters.wait(target, options.signal);
  }

  #begin(): void {
    this.#status = 'running';
    this.#error = undefined;
  }

  #end(error: unknown, signal: AbortSignal | undefined): void {
    if (error === undefined || (signal?.aborted === true && error === abortReason(signal))) {
      this.#status = 'stopped';
      this.#waiters.rejectAll(new CancelledError(`Projection "${this.name}" was stopped.`));
      return;
    }
    this.#status = 'failed';
    this.#error = error;
    this.#logger.error('projection failed', { error });
    this.#waiters.rejectAll(error);
  }

  async #follow(signal: AbortSignal): Promise<void> {
    const from = ((await this.#checkpoints.load(this.name, { signal })) ?? 0) + 1;
    this.#waiters.reset(from - 1);
    const reader = new ReadAhead(
      (readSignal, onCaughtUp) =>
        this.#store.subscribeToAll({
          fromPosition: from,
          signal: readSignal,
          onCaughtUp,
          ...this.#readOptions(),
        }),
      this.#batchSize,
      signal,
    );
    try {
      for (let batch = await reader.next(); batch !== undefined; batch = await reader.next()) {
        await this.#handle(batch, signal);
      }
    } finally {
      await reader.close();
    }
  }

  async #catchUp(options: CatchUpRunOptions): Promise<number> {
    const signal = options.signal ?? new AbortController().signal;
    const head = await this.#store.headPosition({ signal });
    const checkpoint = (await this.#checkpoints.load(this.name, { signal })) ?? 0;
    this.#waiters.reset(checkpoint);
    let processed = 0;
    let last: ProjectionProgress | undefined;
    const report = () => {
      const progress = { processed, position: this.#waiters.position, headPosition: head };
      if (last?.processed === progress.processed && last.position === progress.position) return;
      last = progress;
      options.onProgress?.(progress);
    };
    const reader = new ReadAhead(
      (readSignal) =>
        this.#store.readAllPages({
          fromPosition: checkpoint + 1,
          signal: readSignal,
          ...this.#readOptions(),
        }),
      this.#batchSize,
      signal,
    );
    try {
      for (let batch = await reader.next(); batch !== undefined; batch = await reader.next()) {
        const events = batch.events.filter((event) => event.globalPosition <= head);
        await this.#handle({ events }, signal);
        const before = processed;
        processed += events.length;
        if (Math.floor(processed / this.#progressEvery) > Math.floor(before / this.#progressEvery)) report();
        if (events.length < batch.events.length) break;
      }
    } finally {
      await reader.close();
    }
    // Events after the last delivered one up to `head` did not match the filter: skip them for good.
    if (head > this.#waiters.position) await this.#checkpoints.save(this.name, head, { signal });
    this.#waiters.advance(head);
    report();
    return head;
  }

  #readOptions() {
    return {
      pageSize: this.#pageSize,
      ...(this.#projection.filter === undefined ? {} : { filter: this.#projection.filter }),
    };
  }

  async #handle(batch: ReadAheadBatch, signal: AbortSignal): Promise<void> {
    await this.#batches.handle(batch.events, signal, (position) => this.#waiters.advance(position));
    if (batch.caughtUp !== undefined) this.#waiters.advance(batch.caughtUp);
    await this.#telemetry.lag(this.#store, this.#waiters.position, batch.caughtUp, signal);
  }
}
