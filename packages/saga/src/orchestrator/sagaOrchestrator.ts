import type { LinkedAbortController } from '@keel/core';
import {
  CancelledError,
  linkedAbortController,
  newId,
  NotFoundError,
  parse,
  throwIfAborted,
} from '@keel/core';
import type { AnySagaDefinition, SagaContextOf, SagaInputOf } from '../definition/defineSaga.js';
import { SagaConfigError, SagaIdConflictError, UnknownSagaError } from '../errors/errors.js';
import type { LeasedRunDeps } from '../internal/leasedRun.js';
import { releaseLease, runLeased } from '../internal/leasedRun.js';
import type { SagaQuery, SagaRecord, SagaStore } from '../store/sagaStore.js';
import { isFinalSagaStatus } from '../store/sagaStore.js';
import { SagaEventSource } from './sagaEventSource.js';
import { newSagaRecord } from '../internal/newSagaRecord.js';
import type { SagaOutcome, SagaStatusView } from './sagaOutcome.js';
import { outcomeOf, statusOf } from './sagaOutcome.js';
import type { ResolvedOrchestratorOptions, SagaOrchestratorOptions } from './sagaOrchestratorOptions.js';
import { resolveOrchestratorOptions } from './sagaOrchestratorOptions.js';

/** The definition among `TSaga` whose name is `TName`. */
type Named<TSaga extends AnySagaDefinition, TName> = Extract<TSaga, { readonly name: TName }>;

/** Options of {@link SagaOrchestrator.start}. */
export interface StartSagaOptions {
  /** The saga's id: starting twice with one id runs the saga once. @default a new UUID v7 */
  sagaId?: string;
  /**
   * Stops this orchestrator's work on the saga (and the wait for it); the saga stays
   * unfinished in the store and `recover()` or another `start` with its id resumes it.
   */
  signal?: AbortSignal;
}

/** Options of {@link SagaOrchestrator.recover} and {@link SagaOrchestrator.resume}. */
export interface RecoverSagasOptions {
  /** Stops the recovered runs as {@link StartSagaOptions.signal} does. */
  signal?: AbortSignal;
}

/** What one {@link SagaOrchestrator.recover} call did. */
export interface SagaRecoveryReport {
  /** The sagas this call resumed and ran to a final status. */
  readonly outcomes: readonly SagaOutcome[];
  /** The sagas it resumed that stopped again (lease lost, store failure, abort), with why. */
  readonly interrupted: readonly { readonly sagaId: string; readonly error: unknown }[];
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
  readonly #starts = new Map<string, Promise<SagaOutcome>>();
  readonly #runs = new Map<string, Promise<SagaOutcome>>();
  readonly #active = new Set<LinkedAbortController>();
  readonly #runDeps: LeasedRunDeps;
  #closed = false;

  /**
   * @param store Where saga state lives; share it between orchestrators to share the work.
   * @param sagas The definitions this orchestrator can run (and recover), by unique name.
   * @throws {SagaConfigError} on two definitions with one name or an option out of range.
   */
  constructor(store: SagaStore, sagas: readonly TSaga[], options: SagaOrchestratorOptions = {}) {
    const resolved = resolveOrchestratorOptions(options);
    super(resolved.logger);
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
    this.#runDeps = { store, clock, logger, owner, leaseMs, renewEveryMs, emit: this.events.emit };
  }

  /** This orchestrator's lease owner id. */
  get owner(): string {
    return this.#options.owner;
  }

  /**
   * Starts the saga `name` (or joins it, when `sagaId` is already known) and resolves with its
   * outcome: `completed`, `compensated` or `failed`. A step failure does not reject; a store
   * failure, a lost lease or an abort does, leaving the saga for `recover()`.
   *
   * @throws {UnknownSagaError} when `name` is not registered.
   * @throws {ValidationError} when the definition has an input schema and `input` fails it.
   * @throws {SagaIdConflictError} when `sagaId` belongs to a saga of another name.
   */
  start<TName extends TSaga['name']>(
    name: TName,
    input: SagaInputOf<Named<TSaga, TName>>,
    options: StartSagaOptions = {},
  ): Promise<SagaOutcome<SagaContextOf<Named<TSaga, TName>>>> {
    try {
      throwIfAborted(options.signal);
      this.#checkOpen();
      const definition = this.#definition(name);
      const value = definition.inputSchema
        ? parse(definition.inputSchema, input, { subject: `input of saga "${name}"` })
        : input;
      const sagaId = options.sagaId ?? newId();
      let promise = this.#starts.get(sagaId);
      if (promise === undefined) {
        promise = this.#scoped(options.signal, ({ signal }) =>
          this.#startOrJoin(definition, sagaId, value, signal),
        );
        const started = promise;
        void started.then(
          () => this.#forget(this.#starts, sagaId, started),
          () => this.#forget(this.#starts, sagaId, started),
        );
        this.#starts.set(sagaId, promise);
      }
      return promise as Promise<SagaOutcome<SagaContextOf<Named<TSaga, TName>>>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resumes every unfinished saga this orchestrator can run whose lease is free or expired,
   * from its stored history: a started step runs again with the same idempotency key, a
   * compensation in progress continues. Safe to call from many orchestrators at once.
   */
  async recover(options: RecoverSagasOptions = {}): Promise<SagaRecoveryReport> {
    throwIfAborted(options.signal);
    this.#checkOpen();
    const outcomes: SagaOutcome[] = [];
    const interrupted: { sagaId: string; error: unknown }[] = [];
    const seen = new Set<string>();
    const { clock, owner, leaseMs, recoverBatchSize } = this.#options;
    for (;;) {
      const now = clock.now();
      const claimed = await this.#store.claimUnfinished({
        owner,
        until: now + leaseMs,
        now,
        limit: recoverBatchSize,
        sagaNames: [...this.#definitions.keys()],
      });
      const fresh = claimed.filter((record) => !seen.has(record.sagaId));
      await Promise.all(
        claimed
          .filter((record) => seen.has(record.sagaId))
          .map((record) => releaseLease(this.#runDeps, record.sagaId)),
      );
      const runs = fresh.map((record) => {
        seen.add(record.sagaId);
        return this.#scoped(options.signal, ({ signal }) =>
          this.#execute(this.#definition(record.sagaName), record, signal),
        );
      });
      (await Promise.allSettled(runs)).forEach((result, index) => {
        if (result.status === 'fulfilled') outcomes.push(result.value);
        else interrupted.push({ sagaId: fresh[index]!.sagaId, error: result.reason });
      });
      if (claimed.length < recoverBatchSize || fresh.length === 0) return { outcomes, interrupted };
    }
  }

  /**
   * Resumes one saga: an unfinished one as `recover()` would; a `failed` one (a compensation
   * kept failing) by retrying its compensation, once an operator fixed the cause; a finished
   * one just reports its outcome.
   * @throws {NotFoundError} when there is no saga with this id.
   */
  async resume(sagaId: string, options: RecoverSagasOptions = {}): Promise<SagaOutcome> {
    throwIfAborted(options.signal);
    this.#checkOpen();
    let record = await this.#require(sagaId);
    const definition = this.#definition(record.sagaName);
    if (record.status === 'failed') {
      const at = this.#options.clock.now();
      const history = [...record.history, { type: 'compensationResumed' as const, at }];
      record = await this.#store.save(
        { ...record, status: 'compensating', history, updatedAt: at },
        record.version,
      );
    }
    return this.#scoped(options.signal, ({ signal }) => this.#resumeOrWait(definition, record, signal));
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
   * leases released for `recover()` elsewhere) and waits for them to stop. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const reason = new CancelledError(
      'The saga orchestrator was closed; unfinished sagas resume with recover().',
    );
    for (const control of this.#active) control.abort(reason);
    await Promise.allSettled([...this.#runs.values(), ...this.#starts.values()]);
  }

  /** Same as {@link SagaOrchestrator.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #startOrJoin(
    definition: AnySagaDefinition,
    sagaId: string,
    input: unknown,
    signal: AbortSignal | undefined,
  ): Promise<SagaOutcome> {
    const now = this.#options.clock.now();
    const lease = { owner: this.#options.owner, until: now + this.#options.leaseMs };
    const record = newSagaRecord(definition, sagaId, input, now, lease);
    const { created, record: stored } = await this.#store.create(record);
    if (created) {
      this.events.emit('sagaStarted', { sagaId, sagaName: definition.name, at: now });
      return this.#execute(definition, stored, signal);
    }
    if (stored.sagaName !== definition.name)
      throw new SagaIdConflictError(sagaId, stored.sagaName, definition.name);
    return this.#resumeOrWait(definition, stored, signal);
  }

  /** Runs the saga here if its lease is free, else waits for whoever holds it to finish. */
  async #resumeOrWait(
    definition: AnySagaDefinition,
    record: SagaRecord,
    signal?: AbortSignal,
  ): Promise<SagaOutcome> {
    const { clock, owner, leaseMs, pollIntervalMs } = this.#options;
    for (let current = record; ; current = await this.#require(record.sagaId)) {
      if (isFinalSagaStatus(current.status)) return outcomeOf(current);
      const running = this.#runs.get(current.sagaId);
      if (running !== undefined) return running;
      const now = clock.now();
      const leased = await this.#store.tryAcquireLease(current.sagaId, owner, now + leaseMs, now);
      if (leased !== undefined) return this.#execute(definition, leased, signal);
      await clock.sleep(pollIntervalMs, signal);
    }
  }

  #execute(
    definition: AnySagaDefinition,
    record: SagaRecord,
    signal: AbortSignal | undefined,
  ): Promise<SagaOutcome> {
    const promise = this.#scoped(signal, (scope) => runLeased(this.#runDeps, definition, record, scope));
    this.#runs.set(record.sagaId, promise);
    const forget = (): void => this.#forget(this.#runs, record.sagaId, promise);
    void promise.then(forget, forget);
    return promise;
  }

  /** Runs `task` under a signal that follows `signal` and is aborted by {@link close}. */
  async #scoped<TResult>(
    signal: AbortSignal | undefined,
    task: (control: LinkedAbortController) => Promise<TResult>,
  ): Promise<TResult> {
    const control = linkedAbortController(signal);
    this.#active.add(control);
    try {
      return await task(control);
    } finally {
      control.dispose();
      this.#active.delete(control);
    }
  }

  /** Removes `key` from `map` if it still maps to `promise` (a newer entry is kept). */
  #forget(map: Map<string, Promise<SagaOutcome>>, key: string, promise: Promise<SagaOutcome>): void {
    if (map.get(key) === promise) map.delete(key);
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
    if (this.#closed) throw new CancelledError('The saga orchestrator is closed; create a new one.');
  }
}
