import { abortReason, throwIfAborted } from '@keel/core';
import type { Clock, Logger, Policy } from '@keel/core';
import { ProjectionFailedError } from '../errors/errors.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import type { CheckpointStore } from './checkpointStore.js';
import { toDeadLetterError } from './deadLetterStore.js';
import type { DeadLetterStore } from './deadLetterStore.js';
import type { Projection, ProjectionContext } from './projection.js';
import { ProjectionTelemetry } from './projectionTelemetry.js';
import { isTransactionalCheckpointStore } from './projectionRunnerTransaction.js';
import type { TransactionalCheckpointStore } from './projectionRunnerTransaction.js';

/** What {@link BatchHandler} needs from the runner's settings. */
export interface BatchHandlerSettings {
  readonly projection: Projection;
  readonly checkpoints: CheckpointStore;
  readonly policy: Policy;
  readonly deadLetters: DeadLetterStore | undefined;
  readonly onFailure: 'stop' | 'skip';
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where batches, outcomes and dead letters are reported. @default one for the projection on `clock` */
  readonly telemetry?: ProjectionTelemetry | undefined;
}

/**
 * Handles one batch of a projection and saves one checkpoint for it.
 *
 * - A projection with a `handleBatch`, or a runner with a transactional checkpoint store, runs
 *   the batch as one unit under the policy (in one transaction with the checkpoint save when
 *   the store is transactional). If the unit still fails, nothing of it counts: its events are
 *   handled again one by one to find the failing one.
 * - One by one, each event's handler call runs under the policy (with its own transaction and
 *   checkpoint when transactional). The first event that still fails is dead-lettered, with the
 *   checkpoint saved just before it; then the runner stops, or skips it and goes on.
 * - Outside a transaction, a failed checkpoint save is not a handler failure: the store's error
 *   is thrown as is, on both paths; nothing is dead-lettered nor handled again.
 *
 * `onDurable(position)` is called each time every event up to `position` is handled and its
 * checkpoint saved.
 */
export class BatchHandler {
  readonly #settings: BatchHandlerSettings;
  readonly #transactional: TransactionalCheckpointStore | undefined;
  readonly #whole: boolean;
  readonly #telemetry: ProjectionTelemetry;

  constructor(settings: BatchHandlerSettings) {
    this.#settings = settings;
    this.#telemetry = settings.telemetry ?? new ProjectionTelemetry(settings.projection.name, settings.clock);
    const { checkpoints, projection } = settings;
    this.#transactional = isTransactionalCheckpointStore(checkpoints) ? checkpoints : undefined;
    this.#whole = this.#transactional !== undefined || typeof projection.handleBatch === 'function';
  }

  /** The projection's name. */
  get #name(): string {
    return this.#settings.projection.name;
  }

  /**
   * Handles `events` (in global order) and checkpoints the last one.
   *
   * @throws ProjectionFailedError when an event still fails and `onFailure` is `stop`.
   * @throws The abort reason when `signal` aborts; the checkpoint then keeps what was saved.
   */
  handle(
    events: readonly RecordedEvent[],
    signal: AbortSignal,
    onDurable: (position: number) => void,
  ): Promise<void> {
    return this.#telemetry.batch(events, () => this.#handle(events, signal, onDurable));
  }

  async #handle(
    events: readonly RecordedEvent[],
    signal: AbortSignal,
    onDurable: (position: number) => void,
  ): Promise<void> {
    const last = events.at(-1);
    if (last === undefined) return;
    if (this.#whole && (await this.#asOne(events, last, signal, onDurable))) return;
    await this.#oneByOne(events, signal, onDurable);
  }

  /**
   * Handles `events` as one unit under the policy; `false` when the unit failed and they must be
   * handled one by one. The checkpoint save (outside a transaction) is not part of the unit: its
   * failure is the store's error, thrown as is, as on the one-by-one path; the handlers
   * succeeded, so nothing is dead-lettered nor handled again here.
   */
  async #asOne(
    events: readonly RecordedEvent[],
    last: RecordedEvent,
    signal: AbortSignal,
    onDurable: (position: number) => void,
  ): Promise<boolean> {
    try {
      await this.#settings.policy.execute((context) => this.#unit(events, context.signal, 'batch'), signal);
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      if (events.length === 1) {
        await this.#failed(last, error, signal, (position) => this.#saved(position, signal, onDurable));
        return true;
      }
      this.#telemetry.split(error);
      this.#settings.logger.warn('a batch failed: handling its events one by one to find the failing one', {
        from: events[0]!.globalPosition,
        to: last.globalPosition,
        error,
      });
      return false;
    }
    this.#telemetry.events(events.length, 'processed');
    if (this.#transactional === undefined) await this.#save(last.globalPosition, signal);
    onDurable(last.globalPosition);
    return true;
  }

  /** Clears the read model and the checkpoint (in one transaction when the store has them). */
  async reset(signal: AbortSignal): Promise<void> {
    const { projection, checkpoints } = this.#settings;
    if (this.#transactional === undefined) {
      await projection.reset?.({ signal });
      await checkpoints.delete(this.#name, { signal });
      return;
    }
    await this.#transactional.inTransaction(
      async (scope) => {
        await projection.reset?.({ signal, transaction: scope.transaction });
        await scope.checkpoints.delete(this.#name, { signal });
      },
      { signal },
    );
  }

  async #oneByOne(
    events: readonly RecordedEvent[],
    signal: AbortSignal,
    onDurable: (position: number) => void,
  ): Promise<void> {
    // The last position handled (or skipped) whose checkpoint is not saved yet.
    let unsaved: number | undefined;
    for (const event of events) {
      throwIfAborted(signal);
      try {
        await this.#settings.policy.execute((context) => this.#unit([event], context.signal, 'each'), signal);
        this.#telemetry.events(1, 'processed');
        if (this.#transactional === undefined) unsaved = event.globalPosition;
        else {
          unsaved = undefined;
          onDurable(event.globalPosition);
        }
      } catch (error) {
        if (signal.aborted) throw abortReason(signal);
        // Stopping: record what was handled before the failing event (skipping: saved at the end).
        if (this.#settings.onFailure === 'stop' && unsaved !== undefined) {
          await this.#saved(unsaved, signal, onDurable);
        }
        await this.#failed(event, error, signal, (position) => {
          unsaved = position;
        });
      }
    }
    if (unsaved !== undefined) await this.#saved(unsaved, signal, onDurable);
  }

  /**
   * The unit the policy retries: the handler call(s), with the checkpoint save in the same
   * transaction when the store is transactional.
   */
  async #unit(events: readonly RecordedEvent[], signal: AbortSignal, mode: 'batch' | 'each'): Promise<void> {
    if (this.#transactional === undefined) return this.#apply(events, { signal }, mode);
    const position = events.at(-1)!.globalPosition;
    await this.#transactional.inTransaction(
      async (scope) => {
        await this.#apply(events, { signal, transaction: scope.transaction }, mode);
        await scope.checkpoints.save(this.#name, position, { signal });
      },
      { signal },
    );
  }

  async #apply(
    events: readonly RecordedEvent[],
    context: ProjectionContext,
    mode: 'batch' | 'each',
  ): Promise<void> {
    const { projection } = this.#settings;
    if (mode === 'batch' && projection.handleBatch !== undefined) {
      await projection.handleBatch(events, context);
      return;
    }
    for (const event of events) {
      throwIfAborted(context.signal);
      await projection.handle(event, context);
    }
  }

  /**
   * Dead-letters an event that still fails, then throws `ProjectionFailedError` (`stop`) or
   * reports its position as handled (`skip`) for the caller to checkpoint.
   */
  async #failed(
    event: RecordedEvent,
    error: unknown,
    signal: AbortSignal,
    skipped: (position: number) => void | Promise<void>,
  ): Promise<void> {
    await this.#deadLetter(event, error, signal);
    const skipping = this.#settings.onFailure === 'skip';
    this.#telemetry.failed(event, error, this.#settings.deadLetters !== undefined, skipping);
    if (!skipping) {
      throw new ProjectionFailedError(this.#name, event.globalPosition, event.type, { cause: error });
    }
    this.#settings.logger.warn('skipped an event that kept failing', {
      position: event.globalPosition,
      type: event.type,
    });
    await skipped(event.globalPosition);
  }

  async #saved(position: number, signal: AbortSignal, onDurable: (position: number) => void): Promise<void> {
    await this.#save(position, signal);
    onDurable(position);
  }

  #save(position: number, signal: AbortSignal): Promise<void> {
    return this.#settings.checkpoints.save(this.#name, position, { signal });
  }

  async #deadLetter(event: RecordedEvent, error: unknown, signal: AbortSignal): Promise<void> {
    const { deadLetters, clock } = this.#settings;
    if (deadLetters === undefined) return;
    const letter = {
      projection: this.#name,
      position: event.globalPosition,
      event,
      error: toDeadLetterError(error),
      failedAt: new Date(clock.now()),
    };
    await deadLetters.add(letter, { signal });
  }
}
