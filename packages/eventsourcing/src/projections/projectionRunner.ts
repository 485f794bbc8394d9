import {
  abortReason,
  assertOptions,
  CancelledError,
  linkedAbortController,
  Mutex,
  NEVER_ABORTED,
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
import type { LinkedAbortController, Logger } from '@keel/core';
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
 * the current head and returns; `rebuild()` resets the read model and replays from zero. These
 * runs never overlap: each waits for the one before it, and `stop()` ends them all.
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
  /** One run handles events at a time: the follower, a catch-up or a rebuild, in call order. */
  readonly #lane = new Mutex();
  /** The runs in flight or waiting for their turn, each with its outcome; stop() aborts them. */
  readonly #runs = new Map<LinkedAbortController, Promise<unknown>>();
  #follower: LinkedAbortController | undefined;
  #settled: Exclude<ProjectionStatus, 'running'> = 'idle';
  #error: unknown;

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

  /**
   * `running` while it follows the store or a catch-up or rebuild is in flight; otherwise how the
   * last run ended: `idle` (before the first run, or after a catch-up), `stopped` (by
   * {@link stop} or a caller's signal), `failed` (a poison event).
   */
  get status(): ProjectionStatus {
    return this.#runs.size > 0 ? 'running' : this.#settled;
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
   * live events. Does nothing when already following. While a {@link catchUp} or {@link rebuild}
   * is in flight, the runner is `running` at once and the follower takes over when it ends.
   * Watch {@link status} and {@link error}, or await {@link waitUntilCaughtUp}, to see failures.
   */
  start(): void {
    if (this.#following()) return;
    const follower = this.#launch(undefined, (signal) => this.#follow(signal));
    this.#follower = follower.run;
    follower.done.catch(() => {}); // Reported through status, error and the waiters.
  }

  /**
   * Stops everything the runner does (the background follower, a {@link catchUp} or a
   * {@link rebuild} in flight, which reject with a `CancelledError`) and resolves once each has
   * settled: the current batch ends (a batch in a transaction is rolled back; its events are
   * handled again on the next start). A stopped rebuild does not restart the follower.
   */
  async stop(): Promise<void> {
    const reason = new CancelledError(`Projection "${this.name}" was stopped.`);
    const runs = [...this.#runs];
    for (const [run] of runs) run.abort(reason);
    await Promise.allSettled(runs.map(([, done]) => done));
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
   * that head. While the runner follows the store (after {@link start}), waits for it instead;
   * while another catch-up or a rebuild is in flight, runs once it has ended (runs never overlap).
   *
   * @throws ProjectionFailedError when an event fails and `onFailure` is `stop`.
   * @throws CancelledError when {@link stop} is called meanwhile; the abort reason when `signal` aborts.
   */
  async catchUp(options: CatchUpRunOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    if (this.#following()) return this.waitUntilCaughtUp(options);
    return this.#launch(options.signal, (signal) => this.#catchUp({ ...options, signal })).done;
  }

  /**
   * Clears the read model (`projection.reset`) and the checkpoint (both in one transaction
   * with a `TransactionalCheckpointStore`), then replays every event from position 0 up to the
   * current head, reporting progress. A catch-up in flight ends first; a following runner is
   * stopped first and restarted afterwards. {@link stop} during the rebuild ends it (it rejects
   * with a `CancelledError`; a reset under way completes first) and the runner stays stopped:
   * the next start() resumes the replay from its checkpoint.
   *
   * @returns The head position the rebuild reached.
   */
  async rebuild(options: CatchUpRunOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    const follower = this.#following() ? this.#follower : undefined;
    // Queued before the follower is stopped, so a start() meanwhile follows only after the rebuild.
    const rebuilt = this.#launch(options.signal, (signal) =>
      this.#telemetry.rebuild({ ...options, signal }, (traced) =>
        this.#rebuild(traced, signal, options.signal, follower !== undefined),
      ),
    );
    follower?.abort(new CancelledError(`Projection "${this.name}" is being rebuilt.`));
    return rebuilt.done;
  }

  async #rebuild(
    options: CatchUpRunOptions,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    restart: boolean,
  ): Promise<number> {
    throwIfAborted(signal);
    // stop() does not cut a reset short: stopped between clearing the read model and deleting
    // the checkpoint, the next start would resume from the old checkpoint over an empty model.
    await this.#batches.reset(callerSignal ?? NEVER_ABORTED);
    this.#waiters.reset(0);
    const head = await this.#catchUp({ ...options, signal }, 0);
    // Queued behind this run, so it follows from the rebuilt checkpoint; not after a stop().
    if (restart && !signal.aborted) this.start();
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
    if (this.status !== 'running') {
      throw new CancelledError(
        `Projection "${this.name}" is ${this.status}, so it will not reach position ${target}; call start() first.`,
      );
    }
    return this.#waiters.wait(target, options.signal);
  }

  /** Whether the background follower runs (or waits for its turn) and was not asked to stop. */
  #following(): boolean {
    return this.#follower !== undefined && !this.#follower.signal.aborted;
  }

  /**
   * Runs `work` once every earlier run has ended (one run handles events at a time), with a
   * signal that `parent` and {@link stop} abort.
   */
  #launch<T>(
    parent: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): { readonly run: LinkedAbortController; readonly done: Promise<T> } {
    const run = linkedAbortController(parent);
    this.#error = undefined;
    const done = this.#lane
      .run(() => work(run.signal), run.signal)
      .then(
        (result) => {
          this.#end(run, undefined);
          return result;
        },
        (error: unknown) => {
          this.#end(run, error);
          throw error;
        },
      );
    this.#runs.set(run, done);
    return { run, done };
  }

  #end(run: LinkedAbortController, error: unknown): void {
    const follower = this.#follower === run;
    if (follower) this.#follower = undefined;
    this.#runs.delete(run);
    run.dispose();
    if (error !== undefined && !(run.signal.aborted && error === abortReason(run.signal))) {
      this.#settled = 'failed';
      this.#error = error;
      this.#logger.error('projection failed', { error });
    } else this.#settled = follower || error !== undefined ? 'stopped' : 'idle';
    if (this.#runs.size > 0) return; // The next run goes on towards the positions waited for.
    this.#waiters.rejectAll(
      this.#settled === 'failed'
        ? error
        : new CancelledError(
            this.#settled === 'stopped'
              ? `Projection "${this.name}" was stopped.`
              : `Projection "${this.name}" finished its catch-up before the position waited for; call start() to follow live events.`,
          ),
    );
  }

  async #follow(signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
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

  /** Catches up from `from` (by default the checkpoint) to the head. */
  async #catchUp(options: CatchUpRunOptions & { signal: AbortSignal }, from?: number): Promise<number> {
    const { signal } = options;
    const head = await this.#store.headPosition({ signal });
    const checkpoint = from ?? (await this.#checkpoints.load(this.name, { signal })) ?? 0;
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
