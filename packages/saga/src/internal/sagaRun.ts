import type { Clock, Logger } from '@keel/core';
import { isConcurrencyError, noopPolicy, TimeoutError } from '@keel/core';
import type { AnySagaDefinition, SagaStep } from '../definition/defineSaga.js';
import { SagaDeadlineExceededError, SagaLeaseLostError } from '../errors/errors.js';
import type { SagaEvents } from '../orchestrator/sagaEvents.js';
import type {
  SagaErrorInfo,
  SagaHistoryEntry,
  SagaRecord,
  SagaStatus,
  SagaStore,
} from '../store/sagaStore.js';
import { errorInfo } from './errorInfo.js';
import { contextBefore, nextCompensation, nextStep, outputOf, startsOf, storedTimeoutAt } from './history.js';
import type { Limit } from './runLimited.js';
import { runLimited } from './runLimited.js';

/** What a run needs from its orchestrator. */
export interface SagaRunDeps {
  readonly store: SagaStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly emit: <TName extends keyof SagaEvents>(event: TName, payload: SagaEvents[TName]) => void;
}

/**
 * Drives one saga instance from its stored state to a final status. Every transition is saved
 * (with the record's version, so a lost lease stops the run) before the run acts on it.
 * Rejects without writing when `signal` aborts, leaving the saga for `recover()`.
 */
export class SagaRun {
  readonly #deps: SagaRunDeps;
  readonly #definition: AnySagaDefinition;
  readonly #signal: AbortSignal;
  #record: SagaRecord;

  constructor(deps: SagaRunDeps, definition: AnySagaDefinition, record: SagaRecord, signal: AbortSignal) {
    this.#deps = deps;
    this.#definition = definition;
    this.#record = record;
    this.#signal = signal;
  }

  /** Runs to a final status and returns the final record. */
  async run(): Promise<SagaRecord> {
    for (;;) {
      this.#signal.throwIfAborted();
      const record = this.#record;
      if (record.status === 'running') await this.#advance();
      else if (record.status === 'compensating') await this.#compensateNext();
      else return record;
    }
  }

  get #base(): { sagaId: string; sagaName: string; at: number } {
    return { sagaId: this.#record.sagaId, sagaName: this.#record.sagaName, at: this.#record.updatedAt };
  }

  async #advance(): Promise<void> {
    const step = nextStep(this.#definition, this.#record);
    const now = this.#deps.clock.now();
    if (step === undefined) return this.#finish('completed', { type: 'sagaCompleted', at: now });
    const { deadlineAt } = this.#record;
    if (deadlineAt !== undefined && deadlineAt <= now) {
      const error = errorInfo(new SagaDeadlineExceededError(this.#record.sagaId, deadlineAt, now));
      await this.#write({ status: 'compensating', error }, [{ type: 'deadlineExceeded', at: now, error }]);
      this.#deps.emit('compensating', { ...this.#base, error });
      return;
    }
    await this.#runStep(step, now);
  }

  async #runStep(step: SagaStep, now: number): Promise<void> {
    const record = this.#record;
    const attempt = startsOf(record, step.name) + 1;
    const timeoutAt =
      storedTimeoutAt(record, step.name) ?? (step.timeoutMs === undefined ? undefined : now + step.timeoutMs);
    await this.#write({}, [
      {
        type: 'stepStarted',
        at: now,
        step: step.name,
        attempt,
        ...(timeoutAt === undefined ? {} : { timeoutAt }),
      },
    ]);
    this.#deps.emit('stepStarted', { ...this.#base, step: step.name, attempt });
    const context = contextBefore(this.#definition, record, step.name);
    const key = `${record.sagaId}/${step.name}`;
    const result = await runLimited(
      this.#deps.clock,
      step.retry ?? noopPolicy,
      this.#logged(step.name, 'Saga step attempt failed', (signal) =>
        step.run({ ...this.#base, input: record.input, context, idempotencyKey: key, attempt, signal }),
      ),
      this.#signal,
      this.#limitFor(step, timeoutAt),
    );
    const at = this.#deps.clock.now();
    if (result.ok) {
      const output = result.value;
      await this.#write({}, [{ type: 'stepCompleted', at, step: step.name, output }]);
      this.#deps.emit('stepCompleted', { ...this.#base, step: step.name, attempt, output });
      return;
    }
    const error = errorInfo(result.error);
    this.#deps.logger.warn('Saga step failed; compensating the completed steps', {
      ...this.#fields(step.name),
      error: result.error,
    });
    await this.#write({ status: 'compensating', error }, [
      { type: 'stepFailed', at, step: step.name, error },
    ]);
    this.#deps.emit('stepFailed', { ...this.#base, step: step.name, attempt, error });
    this.#deps.emit('compensating', { ...this.#base, error });
  }

  #limitFor(step: SagaStep, timeoutAt: number | undefined): Limit | undefined {
    const { deadlineAt, sagaId } = this.#record;
    const clock = this.#deps.clock;
    if (deadlineAt !== undefined && (timeoutAt === undefined || deadlineAt < timeoutAt)) {
      return { at: deadlineAt, error: () => new SagaDeadlineExceededError(sagaId, deadlineAt, clock.now()) };
    }
    if (timeoutAt === undefined) return undefined;
    const operation = `Saga "${this.#record.sagaName}" step "${step.name}"`;
    return {
      at: timeoutAt,
      error: () => new TimeoutError(step.timeoutMs ?? 0, { operation, details: { sagaId } }),
    };
  }

  async #compensateNext(): Promise<void> {
    const step = nextCompensation(this.#definition, this.#record);
    const now = this.#deps.clock.now();
    if (step === undefined) return this.#finish('compensated', { type: 'sagaCompensated', at: now });
    const record = this.#record;
    const attempt = startsOf(record, step.name, true) + 1;
    await this.#write({}, [{ type: 'compensationStarted', at: now, step: step.name, attempt }]);
    this.#deps.emit('compensationStarted', { ...this.#base, step: step.name, attempt });
    const base = {
      ...this.#base,
      input: record.input,
      context: contextBefore(this.#definition, record, step.name),
      output: outputOf(record, step.name),
      idempotencyKey: `${record.sagaId}/${step.name}/compensate`,
      attempt,
    };
    const result = await runLimited(
      this.#deps.clock,
      step.compensationRetry ?? step.retry ?? noopPolicy,
      this.#logged(step.name, 'Saga compensation attempt failed', (signal) =>
        step.compensate!({ ...base, signal }),
      ),
      this.#signal,
      undefined,
    );
    const at = this.#deps.clock.now();
    if (result.ok) {
      await this.#write({}, [{ type: 'compensationCompleted', at, step: step.name }]);
      this.#deps.emit('compensationCompleted', { ...this.#base, step: step.name, attempt });
      return;
    }
    await this.#failCompensation(step, attempt, result.error, at);
  }

  async #failCompensation(step: SagaStep, attempt: number, cause: unknown, at: number): Promise<void> {
    const error = errorInfo(cause);
    this.#deps.logger.error('Saga compensation failed; the saga needs an operator', {
      ...this.#fields(step.name),
      error: cause,
    });
    await this.#write({ status: 'failed', error }, [
      { type: 'compensationFailed', at, step: step.name, error },
      { type: 'sagaFailed', at, error },
    ]);
    this.#deps.emit('compensationFailed', { ...this.#base, step: step.name, attempt, error });
    this.#deps.emit('sagaFinished', { ...this.#base, status: 'failed', error });
  }

  async #finish(status: SagaStatus, entry: SagaHistoryEntry): Promise<void> {
    await this.#write({ status }, [entry]);
    const error: SagaErrorInfo | undefined = this.#record.error;
    this.#deps.emit('sagaFinished', { ...this.#base, status, ...(error === undefined ? {} : { error }) });
  }

  /** Wraps an attempt so each failure is logged before the policy sees it. */
  #logged<TResult>(
    step: string,
    message: string,
    fn: (signal: AbortSignal) => PromiseLike<TResult> | TResult,
  ) {
    return async (signal: AbortSignal): Promise<TResult> => {
      try {
        return await fn(signal);
      } catch (error) {
        if (!this.#signal.aborted) this.#deps.logger.warn(message, { ...this.#fields(step), error });
        throw error;
      }
    };
  }

  #fields(step: string): Record<string, unknown> {
    return { sagaId: this.#record.sagaId, sagaName: this.#record.sagaName, step };
  }

  async #write(
    patch: { status?: SagaStatus; error?: SagaErrorInfo },
    entries: SagaHistoryEntry[],
  ): Promise<void> {
    const current = this.#record;
    const at = entries[entries.length - 1]?.at ?? this.#deps.clock.now();
    const next: SagaRecord = {
      ...current,
      ...patch,
      history: [...current.history, ...entries],
      updatedAt: at,
    };
    try {
      this.#record = await this.#deps.store.save(next, current.version);
    } catch (error) {
      if (isConcurrencyError(error))
        throw new SagaLeaseLostError(current.sagaId, this.#deps.owner, { cause: error });
      throw error;
    }
  }
}
