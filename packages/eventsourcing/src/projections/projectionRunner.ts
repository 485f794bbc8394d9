import { abortReason, CancelledError, noopLogger, noopPolicy, systemClock, throwIfAborted } from '@keel/core';
import type { Clock, Logger, Policy } from '@keel/core';
import { ProjectionFailedError } from '../errors/errors.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { checkInteger } from '../internal/options.js';
import { InMemoryCheckpointStore } from './checkpointStore.js';
import type { CheckpointStore } from './checkpointStore.js';
import { toDeadLetterError } from './deadLetterStore.js';
import type { DeadLetterStore } from './deadLetterStore.js';
import type { Projection } from './projection.js';
import { PositionWaiters } from './positionWaiters.js';
import { RUNNER_DEFAULTS } from './projectionRunnerOptions.js';
import type {
  CatchUpRunOptions,
  ProjectionRunnerOptions,
  ProjectionStatus,
} from './projectionRunnerOptions.js';

/**
 * Runs a {@link Projection} over the store's global order with a checkpoint: at-least-once
 * (the checkpoint is saved after the handler), handler calls wrapped in a `Policy`, poison
 * events dead-lettered, then the runner stops or skips them. `start()` catches up and follows
 * live events; `catchUp()` processes up to the current head and returns; `rebuild()` resets the
 * read model and replays from zero.
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
  readonly #policy: Policy;
  readonly #deadLetters: DeadLetterStore | undefined;
  readonly #onFailure: 'stop' | 'skip';
  readonly #pageSize: number | undefined;
  readonly #progressEvery: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #waiters = new PositionWaiters();
  #status: ProjectionStatus = 'idle';
  #error: unknown;
  #controller: AbortController | undefined;
  #done: Promise<void> | undefined;

  /**
   * @param store The event store (wrap it with `withUpcasting` for upcast events).
   * @param projection The projection to run.
   * @param options See {@link ProjectionRunnerOptions}.
   * @throws ValidationError when `pageSize` or `progressEvery` is not an integer >= 1.
   */
  constructor(store: EventStore, projection: Projection, options: ProjectionRunnerOptions = {}) {
    const subject = `projection runner "${projection.name}" options`;
    this.#store = store;
    this.#projection = projection;
    this.#checkpoints = options.checkpoints ?? new InMemoryCheckpointStore();
    this.#policy = options.policy ?? noopPolicy;
    this.#deadLetters = options.deadLetters;
    this.#onFailure = options.onFailure ?? RUNNER_DEFAULTS.onFailure;
    this.#pageSize =
      options.pageSize === undefined ? undefined : checkInteger(subject, 'pageSize', options.pageSize, 1);
    this.#progressEvery = checkInteger(
      subject,
      'progressEvery',
      options.progressEvery ?? RUNNER_DEFAULTS.progressEvery,
      1,
    );
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({ projection: projection.name });
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

  /** The global position every event up to which has been handled (or filtered out) in this process. */
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

  /** Stops the background run and resolves once the current handler call has settled. */
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
   * Clears the read model (`projection.reset`) and the checkpoint, then replays every event
   * from position 0 up to the current head, reporting progress. A running runner is stopped
   * first and restarted afterwards.
   *
   * @returns The head position the rebuild reached.
   */
  async rebuild(options: CatchUpRunOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    const wasRunning = this.#status === 'running';
    if (wasRunning) await this.stop();
    const signal = options.signal ?? new AbortController().signal;
    await this.#projection.reset?.({ signal });
    await this.#checkpoints.delete(this.name, { signal });
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
    const subscription = this.#store.subscribeToAll({
      fromPosition: from,
      signal,
      onCaughtUp: (position) => this.#waiters.advance(position),
      ...this.#readOptions(),
    });
    for await (const event of subscription) await this.#process(event, signal);
  }

  async #catchUp(options: CatchUpRunOptions): Promise<number> {
    const signal = options.signal ?? new AbortController().signal;
    const head = await this.#store.headPosition({ signal });
    const checkpoint = (await this.#checkpoints.load(this.name, { signal })) ?? 0;
    this.#waiters.reset(checkpoint);
    let processed = 0;
    const report = () =>
      options.onProgress?.({ processed, position: this.#waiters.position, headPosition: head });
    for await (const event of this.#store.readAll({
      fromPosition: checkpoint + 1,
      signal,
      ...this.#readOptions(),
    })) {
      if (event.globalPosition > head) break;
      await this.#process(event, signal);
      if (++processed % this.#progressEvery === 0) report();
    }
    // Events after the last delivered one up to `head` did not match the filter: skip them for good.
    if (head > this.#waiters.position) await this.#checkpoints.save(this.name, head, { signal });
    this.#waiters.advance(head);
    report();
    return head;
  }

  #readOptions() {
    return {
      ...(this.#projection.filter === undefined ? {} : { filter: this.#projection.filter }),
      ...(this.#pageSize === undefined ? {} : { pageSize: this.#pageSize }),
    };
  }

  async #process(event: RecordedEvent, signal: AbortSignal): Promise<void> {
    try {
      await this.#policy.execute((context) => this.#projection.handle(event, context), signal);
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      await this.#deadLetter(event, error, signal);
      if (this.#onFailure === 'stop') {
        throw new ProjectionFailedError(this.name, event.globalPosition, event.type, { cause: error });
      }
      this.#logger.warn('skipped an event that kept failing', {
        position: event.globalPosition,
        type: event.type,
      });
    }
    await this.#checkpoints.save(this.name, event.globalPosition, { signal });
    this.#waiters.advance(event.globalPosition);
  }

  async #deadLetter(event: RecordedEvent, error: unknown, signal: AbortSignal): Promise<void> {
    if (this.#deadLetters === undefined) return;
    const letter = {
      projection: this.name,
      position: event.globalPosition,
      event,
      error: toDeadLetterError(error),
      failedAt: new Date(this.#clock.now()),
    };
    await this.#deadLetters.add(letter, { signal });
  }
}
