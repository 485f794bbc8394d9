import {
  CancelledError,
  isConcurrencyError,
  newId,
  NotFoundError,
  parse,
  raceAbort,
  throwIfAborted,
} from '@keel/core';
import type { AnySagaDefinition, SagaContextOf, SagaInputOf } from '../definition/defineSaga.js';
import { SagaConfigError, SagaIdConflictError, UnknownSagaError } from '../errors/errors.js';
import type { LeasedRunDeps, LeasedRunOptions } from './leasedRun.js';
import { releaseLease, runLeased } from './leasedRun.js';
import { compensationCauseOf } from './history.js';
import { newSagaRecord } from './newSagaRecord.js';
import type { SharedTask } from '../internal/sharedTask.js';
import { TaskScope } from '../internal/taskScope.js';
import { countSaga, SAGA_RECOVERIES, SAGA_STARTS } from '../telemetry/telemetry.js';
import { inStartSpan } from './sagaTelemetry.js';
import type { SagaClaimCursor, SagaQuery, SagaRecord, SagaStore } from '../store/sagaStore.js';
import { isFinalSagaStatus } from '../store/sagaStore.js';
import { recoverBackoff } from './recoverBackoff.js';
import type { SagaRecoveryReport } from './recoverPass.js';
import { recoverPass } from './recoverPass.js';
import { SagaEventSource } from './sagaEventSource.js';
import type { SagaOutcome, SagaStatusView } from './sagaOutcome.js';
import { outcomeOf, statusOf } from './sagaOutcome.js';
import type { ResolvedOrchestratorOptions, SagaOrchestratorOptions } from './sagaOrchestratorOptions.js';
import {
  assertCallOptions,
  assertOrchestratorPorts,
  resolveOrchestratorOptions,
} from './sagaOrchestratorOptions.js';

export type { SagaRecoveryReport } from './recoverPass.js';

/** The definition among `TSaga` whose name is `TName`. */
type Named<TSaga extends AnySagaDefinition, TName> = Extract<TSaga, { readonly name: TName }>;

/** Options of {@link SagaOrchestrator.start}. */
export interface StartSagaOptions {
  /**
   * The saga's id: starting twice with one id runs the saga once. A non-empty string without
   * NUL characters or lone surrogates.
   * @default a new UUID v7
   */
  sagaId?: string | undefined;
  /**
   * Ends this caller's wait with the abort reason (unless the saga's final status is already
   * stored: then the caller gets the outcome). When every caller waiting for the saga in this
   * orchestrator has aborted, the run stops too: the saga stays unfinished in the store, its
   * lease released, and `recover()` or another `start` with its id resumes it.
   */
  signal?: AbortSignal | undefined;
}

/** Options of {@link SagaOrchestrator.enqueue}. */
export interface EnqueueSagaOptions {
  /** The saga's id: enqueueing twice with one id stores the saga once. @default a new UUID v7 */
  sagaId?: string | undefined;
  /** Checked before anything is stored. */
  signal?: AbortSignal | undefined;
}

/** What {@link SagaOrchestrator.enqueue} did. */
export interface EnqueuedSaga {
  readonly sagaId: string;
  /** `false` when a saga with this id existed already (nothing was changed). */
  readonly created: boolean;
}

/** Options of {@link SagaOrchestrator.recover} and {@link SagaOrchestrator.resume}. */
export interface RecoverSagasOptions {
  /** Ends the wait and stops the runs as {@link StartSagaOptions.signal} does. */
  signal?: AbortSignal | undefined;
  /**
   * A graceful stop (`recover()` only): once it aborts, the pass claims nothing more and each
   * saga it runs stops at the end of its current step (run or compensation, retries included),
   * its lease released so the next `recover()` anywhere resumes it. `signal` still stops them
   * at once; a worker aborts `drain` first and `signal` when its stop deadline passes.
   */
  drain?: AbortSignal | undefined;
}

/**
 * Runs sagas durably: every transition is stored before it is acted on, failures are
 * compensated in reverse order, and `recover()` resumes the sagas of a crashed process.
 * Leases make sure each saga runs in one place at a time, however many orchestrators share the store.
 *
 * @example
 * ```ts
 * const orchestrator = new SagaOrchestrator(store, [orderSaga], { logger });
 * const outcome = await orchestrator.start('order', { orderId: 'o-1', amount: 42 }, { sagaId: 'order-o-1' });
 * await orchestrator.recover(); // at boot: resume what a crash left unfinished
 * ```
 */
export class SagaOrchestrator<TSaga extends AnySagaDefinition = AnySagaDefinition> extends SagaEventSource {
  readonly #store: SagaStore;
  readonly #options: ResolvedOrchestratorOptions;
  readonly #definitions = new Map<string, AnySagaDefinition>();
  readonly #starts = new Map<string, SharedTask<SagaOutcome>>();
  readonly #resumes = new Map<string, SharedTask<SagaOutcome>>();
  readonly #runs = new Map<string, SharedTask<SagaOutcome>>();
  /** Consecutive failures of sagas resumed by `recover()`, for their backoff. */
  readonly #failures = new Map<string, number>();
  readonly #scope = new TaskScope();
  readonly #runDeps: LeasedRunDeps;

  /**
   * @param store Where saga state lives; share it between orchestrators to share the work.
   * @param sagas The definitions this orchestrator can run (and recover), by unique name.
   * @throws {ValidationError} when the store is not a `SagaStore` or an option is out of range.
   * @throws {SagaConfigError} on two definitions with one name.
   */
  constructor(store: SagaStore, sagas: readonly TSaga[], options?: SagaOrchestratorOptions) {
    const resolved = resolveOrchestratorOptions(options);
    super(resolved.logger);
    assertOrchestratorPorts(store, sagas);
    this.#store = store;
    this.#options = resolved;
    for (const saga of sagas) {
      if (this.#definitions.has(saga.name)) {
        throw new SagaConfigError(
          `Two saga definitions are named "${saga.name}"; saga names must be unique.`,
        );
      }
      this.#definitions.set(saga.name, saga);
    }
    const { clock, logger, owner, leaseMs, renewEveryMs } = this.#options;
    this.#runDeps = {
      store,
      clock,
      logger,
      owner,
      leaseMs,
      renewEveryMs,
      emit: this.events.emit,
      track: (work) => this.#scope.track(work),
    };
  }

  /** This orchestrator's lease owner id. */
  get owner(): string {
    return this.#options.owner;
  }

  /**
   * Stores a new saga `name` for a worker to run, without running it here: the saga is saved
   * unleased, so the next recovery pass anywhere (a `SagaWorker`, or `recover()`) claims and
   * runs it. Use it where a request must be accepted durably and answered before the saga runs.
   * Idempotent by `sagaId`: an id that exists changes nothing and reports `created: false`.
   *
   * @throws {UnknownSagaError} when `name` is not registered.
   * @throws {ValidationError} when the input fails the definition's schema, or an option is invalid.
   * @throws {SerializationError} (from `@keel/core`) when `input` cannot be stored; nothing is.
   * @throws {SagaIdConflictError} when `sagaId` belongs to a saga of another name.
   */
  async enqueue<TName extends TSaga['name']>(
    name: TName,
    input: SagaInputOf<Named<TSaga, TName>>,
    options?: EnqueueSagaOptions,
  ): Promise<EnqueuedSaga> {
    assertCallOptions('enqueue', options);
    throwIfAborted(options?.signal);
    this.#checkOpen();
    const definition = this.#definition(name);
    const value = definition.inputSchema
      ? parse(definition.inputSchema, input, { subject: `input of saga "${name}"` })
      : input;
    const sagaId = options?.sagaId ?? newId();
    return inStartSpan(name, sagaId, async () => {
      const record = newSagaRecord(definition, sagaId, value, this.#options.clock.now(), undefined);
      const { created, record: stored } = await this.#store.create(record);
      if (stored.sagaName !== definition.name) throw new SagaIdConflictError(sagaId, stored.sagaName, name);
      if (created) countSaga(SAGA_STARTS, definition.name);
      return { sagaId, created };
    });
  }

  /**
   * Starts the saga `name` (or joins it, when `sagaId` is already known) and resolves with its
   * outcome: `completed`, `compensated` or `failed`. A step failure does not reject; a store
   * failure, a lost lease or an abort does, leaving the saga for `recover()`. Once the final
   * status is stored, the caller gets the outcome, whatever happens to its signal.
   *
   * @throws {UnknownSagaError} when `name` is not registered.
   * @throws {ValidationError} when the definition has an input schema and `input` fails it, or
   *   an option is invalid.
   * @throws {SerializationError} (from `@keel/core`) when `input` cannot be stored; nothing is.
   * @throws {SagaIdConflictError} when `sagaId` belongs to a saga of another name.
   */
  start<TName extends TSaga['name']>(
    name: TName,
    input: SagaInputOf<Named<TSaga, TName>>,
    options?: StartSagaOptions,
  ): Promise<SagaOutcome<SagaContextOf<Named<TSaga, TName>>>> {
    try {
      assertCallOptions('start', options);
      throwIfAborted(options?.signal);
      this.#checkOpen();
      const definition = this.#definition(name);
      const value = definition.inputSchema
        ? parse(definition.inputSchema, input, { subject: `input of saga "${name}"` })
        : input;
      const sagaId = options?.sagaId ?? newId();
      // Keyed by name too: a start of another saga with this id must get its conflict error.
      const task = this.#scope.shared(this.#starts, `${name}\u0000${sagaId}`, (signal) =>
        inStartSpan(name, sagaId, () => this.#startOrJoin(definition, sagaId, value, signal)),
      );
      return task.join(options?.signal) as Promise<SagaOutcome<SagaContextOf<Named<TSaga, TName>>>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resumes every unfinished saga this orchestrator can run whose lease is free or expired,
   * from its stored history: a started step runs again with the same idempotency key (or, when
   * its timeout or the deadline has passed meanwhile, is compensated with an unknown outcome), a
   * compensation in progress continues. One call pages forward through all of them, oldest
   * first, running up to `recoverBatchSize` at once, so every unfinished saga is reached however
   * the others behave. Safe to call from many orchestrators at once. An abort (or `close()`)
   * stops the pass: it claims nothing more and resolves once its runs have stopped, listing them
   * as interrupted.
   * @throws the abort reason when `signal` is already aborted; a store error when a claim fails.
   */
  async recover(options?: RecoverSagasOptions): Promise<SagaRecoveryReport> {
    assertCallOptions('recover', options);
    throwIfAborted(options?.signal);
    this.#checkOpen();
    const pass = this.#scope.task((signal) =>
      recoverPass(
        {
          batchSize: this.#options.recoverBatchSize,
          claim: (limit, after) => this.#claim(limit, after),
          resume: (record) => this.#recoverOne(record, signal, options?.drain),
          release: (record) => this.#scope.track(releaseLease(this.#runDeps, record.sagaId)),
        },
        signal,
        options?.drain,
      ),
    );
    return pass.join(options?.signal);
  }

  /**
   * Resumes one saga: an unfinished one as `recover()` would; a `failed` one (a compensation
   * kept failing) by retrying its compensation, once an operator fixed the cause; a finished
   * one just reports its outcome. Concurrent calls for one saga, here or in other
   * orchestrators, all get its outcome; the compensation runs once.
   * @throws {NotFoundError} when there is no saga with this id.
   */
  resume(sagaId: string, options?: RecoverSagasOptions): Promise<SagaOutcome> {
    try {
      assertCallOptions('resume', options);
      throwIfAborted(options?.signal);
      this.#checkOpen();
      const task = this.#scope.shared(this.#resumes, sagaId, (signal) => this.#resumeFailed(sagaId, signal));
      return task.join(options?.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The stored record of a saga, with its full history, or `undefined`. */
  get(sagaId: string): Promise<SagaRecord | undefined> {
    return this.#store.get(sagaId);
  }

  /** Stored sagas matching `query`, e.g. `{ status: 'failed' }` for the ones needing an operator. */
  list(query?: SagaQuery): Promise<SagaRecord[]> {
    return this.#store.list(query);
  }

  /** A summary of a saga's state (current step, completed and compensated steps, error), or `undefined`. */
  async status(sagaId: string): Promise<SagaStatusView | undefined> {
    const record = await this.#store.get(sagaId);
    return record === undefined ? undefined : statusOf(record);
  }

  /**
   * Stops every saga this orchestrator is running (they stay unfinished in the store, their
   * leases released for `recover()` elsewhere) by aborting their steps' signals, and waits until
   * everything has stopped: the runs, the step and compensation calls still in flight (a step
   * that ignores its signal delays `close()` until it settles) and the lease releases.
   * Pending `start`, `resume` and `recover` calls reject with a `CancelledError`. Idempotent.
   */
  close(): Promise<void> {
    return this.#scope.close(
      new CancelledError('The saga orchestrator was closed; unfinished sagas resume with recover().'),
    );
  }

  /** Same as {@link SagaOrchestrator.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #startOrJoin(
    definition: AnySagaDefinition,
    sagaId: string,
    input: unknown,
    signal: AbortSignal,
  ): Promise<SagaOutcome> {
    const now = this.#options.clock.now();
    const lease = { owner: this.#options.owner, until: now + this.#options.leaseMs };
    const record = newSagaRecord(definition, sagaId, input, now, lease);
    const { created, record: stored } = await this.#store.create(record);
    if (created) {
      this.events.emit('sagaStarted', { sagaId, sagaName: definition.name, at: now });
      countSaga(SAGA_STARTS, definition.name);
      return this.#execute(definition, stored).join(signal);
    }
    if (stored.sagaName !== definition.name)
      throw new SagaIdConflictError(sagaId, stored.sagaName, definition.name);
    return this.#resumeOrWait(definition, stored, signal);
  }

  /**
   * Moves a `failed` saga back to compensating (once, whoever else tries), its error the step
   * failure it compensates again (the compensation failure stays in its history), then resumes it.
   */
  async #resumeFailed(sagaId: string, signal: AbortSignal): Promise<SagaOutcome> {
    let record = await this.#require(sagaId);
    const definition = this.#definition(record.sagaName);
    if (record.status === 'failed') {
      const at = this.#options.clock.now();
      const history = [...record.history, { type: 'compensationResumed' as const, at }];
      const error = compensationCauseOf(record) ?? record.error;
      try {
        record = await this.#store.save(
          {
            ...record,
            status: 'compensating',
            history,
            updatedAt: at,
            ...(error === undefined ? {} : { error }),
          },
          record.version,
        );
      } catch (error) {
        // Someone else resumed it (or is running it) first: wait for that outcome instead.
        if (!isConcurrencyError(error)) throw error;
        record = await this.#require(sagaId);
      }
    }
    return this.#resumeOrWait(definition, record, signal);
  }

  /** Runs the saga here if its lease is free, else waits for whoever holds it to finish. */
  async #resumeOrWait(
    definition: AnySagaDefinition,
    record: SagaRecord,
    signal: AbortSignal,
  ): Promise<SagaOutcome> {
    const { clock, owner, leaseMs, pollIntervalMs } = this.#options;
    for (let current = record; ; current = await this.#require(record.sagaId)) {
      if (isFinalSagaStatus(current.status)) return outcomeOf(current);
      throwIfAborted(signal);
      const running = this.#runs.get(current.sagaId);
      if (running !== undefined && !running.stopping) return running.join(signal);
      if (running !== undefined) {
        await raceAbort(running.settled, signal);
        continue;
      }
      const now = clock.now();
      const leased = await this.#store.tryAcquireLease(current.sagaId, owner, now + leaseMs, now);
      if (leased !== undefined) return this.#execute(definition, leased).join(signal);
      await clock.sleep(pollIntervalMs, signal);
    }
  }

  #claim(limit: number, after: SagaClaimCursor | undefined): Promise<SagaRecord[]> {
    const { clock, owner, leaseMs } = this.#options;
    const now = clock.now();
    return this.#store.claimUnfinished({
      owner,
      until: now + leaseMs,
      now,
      limit,
      sagaNames: [...this.#definitions.keys()],
      ...(after === undefined ? {} : { after }),
    });
  }

  /** Runs a claimed saga; when it fails by itself, keeps it back for a growing while. */
  #recoverOne(record: SagaRecord, signal: AbortSignal, drain: AbortSignal | undefined): Promise<SagaOutcome> {
    const definition = this.#definitions.get(record.sagaName);
    if (definition === undefined) {
      this.#scope.track(releaseLease(this.#runDeps, record.sagaId));
      return Promise.reject(new UnknownSagaError(record.sagaName, [...this.#definitions.keys()]));
    }
    countSaga(SAGA_RECOVERIES, definition.name);
    const { recoverBackoffMs, recoverBackoffMaxMs } = this.#options;
    const holdAfter = (): number => {
      const failures = (this.#failures.get(record.sagaId) ?? 0) + 1;
      this.#failures.set(record.sagaId, failures);
      return recoverBackoff(failures, recoverBackoffMs, recoverBackoffMaxMs);
    };
    return this.#execute(definition, record, { holdAfter, drain }).join(signal);
  }

  /** Starts a run of a saga whose lease this orchestrator just acquired. */
  #execute(
    definition: AnySagaDefinition,
    record: SagaRecord,
    options: LeasedRunOptions = {},
  ): SharedTask<SagaOutcome> {
    const { sagaId } = record;
    const task: SharedTask<SagaOutcome> = this.#scope.task(async (signal) => {
      try {
        const outcome = await runLeased(this.#runDeps, definition, record, signal, options);
        this.#failures.delete(sagaId);
        return outcome;
      } finally {
        if (this.#runs.get(sagaId) === task) this.#runs.delete(sagaId);
      }
    });
    this.#runs.set(sagaId, task);
    return task;
  }

  #definition(name: string): AnySagaDefinition {
    const definition = this.#definitions.get(name);
    if (definition === undefined) throw new UnknownSagaError(name, [...this.#definitions.keys()]);
    return definition;
  }

  async #require(sagaId: string): Promise<SagaRecord> {
    const record = await this.#store.get(sagaId);
    if (record === undefined) throw new NotFoundError('Saga', sagaId);
    return record;
  }

  #checkOpen(): void {
    if (this.#scope.signal.aborted)
      throw new CancelledError('The saga orchestrator is closed; create a new one.');
  }
}
