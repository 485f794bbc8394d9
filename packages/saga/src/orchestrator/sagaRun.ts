import type { Clock, Logger, TelemetrySpan } from '@keel/core';
import {
  isConcurrencyError,
  isSerializationError,
  noopPolicy,
  telemetryEnabled,
  throwIfAborted,
  TimeoutError,
} from '@keel/core';
import type { AnySagaDefinition, SagaStep } from '../definition/defineSaga.js';
import { SagaDeadlineExceededError, SagaLeaseLostError } from '../errors/errors.js';
import type { SagaEvents } from './sagaEvents.js';
import type {
  SagaErrorInfo,
  SagaHistoryEntry,
  SagaRecord,
  SagaStatus,
  SagaStore,
} from '../store/sagaStore.js';
import { isFinalSagaStatus } from '../store/sagaStore.js';
import { errorInfo } from './errorInfo.js';
import { contextBefore, effectOf, nextCompensation, nextStep, startsOf, storedTimeoutAt } from './history.js';
import type { Limit } from '../internal/runLimited.js';
import { runLimited } from '../internal/runLimited.js';
import type { StepFailure, StepOperation } from './sagaTelemetry.js';
import { errorType } from '../telemetry/telemetry.js';
import {
  countRetries,
  inSagaSpan,
  inStepSpan,
  recordCompensation,
  recordSagaFinished,
} from './sagaTelemetry.js';

/** What a run needs from its orchestrator. */
export interface SagaRunDeps {
  readonly store: SagaStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly emit: <TName extends keyof SagaEvents>(event: TName, payload: SagaEvents[TName]) => void;
  /** Told about work that may outlive the run (a step call cut off by a limit), so `close()` waits for it. */
  readonly track: (work: Promise<unknown>) => void;
}

/**
 * Drives one saga instance from its stored state to a final status. Every transition is saved
 * (with the record's version, so a lost lease stops the run) before the run acts on it.
 * Rejects without writing when `signal` aborts, leaving the saga for `recover()`; once a final
 * status is stored it returns it, whatever the signal says.
 */
export class SagaRun {
  readonly #deps: SagaRunDeps;
  readonly #definition: AnySagaDefinition;
  readonly #signal: AbortSignal;
  /** When aborted, the run stops before its next step (the current one finishes). */
  readonly #drain: AbortSignal | undefined;
  #record: SagaRecord;
  /** The `saga <name>` span of this run (inert without telemetry). */
  #span: TelemetrySpan | undefined;

  constructor(
    deps: SagaRunDeps,
    definition: AnySagaDefinition,
    record: SagaRecord,
    signal: AbortSignal,
    drain?: AbortSignal,
  ) {
    this.#deps = deps;
    this.#definition = definition;
    this.#record = record;
    this.#signal = signal;
    this.#drain = drain;
  }

  /** Runs to a final status, in a `saga <name>` span when telemetry is on, and returns the final record. */
  run(): Promise<SagaRecord> {
    if (!telemetryEnabled()) return this.#loop();
    return inSagaSpan(this.#record, (span) => {
      this.#span = span;
      return this.#loop();
    });
  }

  async #loop(): Promise<SagaRecord> {
    for (;;) {
      const record = this.#record;
      if (isFinalSagaStatus(record.status)) return record;
      throwIfAborted(this.#signal);
      throwIfAborted(this.#drain);
      if (record.status === 'running') await this.#advance();
      else await this.#compensateNext();
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
      // A step started before a crash and never finished is compensated too (outcome unknown).
      const error = errorInfo(new SagaDeadlineExceededError(this.#record.sagaId, deadlineAt, now));
      this.#span?.addEvent('deadline_exceeded', { 'error.type': error.code });
      await this.#write({ status: 'compensating', error }, [{ type: 'deadlineExceeded', at: now, error }]);
      this.#deps.emit('compensating', { ...this.#base, error });
      return;
    }
    await this.#runStep(step, now);
  }

  async #runStep(step: SagaStep, now: number): Promise<void> {
    const record = this.#record;
    const started = startsOf(record, step.name);
    const timeoutAt =
      storedTimeoutAt(record, step.name) ?? (step.timeoutMs === undefined ? undefined : now + step.timeoutMs);
    const limit = this.#limitFor(step, timeoutAt);
    if (started > 0 && limit !== undefined && limit.at <= now) {
      // Started before a crash and out of time now: it may have taken effect, so it is not run
      // again but fails with an unknown outcome and is compensated.
      const error = limit.error();
      this.#span?.addEvent('timeout', { 'keel.saga.step': step.name, 'error.type': errorType(error) });
      return this.#failStep(step, started, error, now, true);
    }
    const attempt = started + 1;
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
    const call = {
      ...this.#base,
      input: record.input,
      context: contextBefore(this.#definition, record, step.name),
      idempotencyKey: `${record.sagaId}/${step.name}`,
      attempt,
    };
    await this.#inStepSpan('run', step.name, attempt, async (span) => {
      const result = await runLimited(
        this.#attempts(span, step.name, 'run', (signal) => step.run({ ...call, signal })),
        { ...this.#limited(step.retry), limit },
      );
      const at = this.#deps.clock.now();
      if (result.ok) {
        await this.#completeStep(step, attempt, result.value, at);
        return undefined;
      }
      if (limit !== undefined && at >= limit.at)
        span.addEvent('timeout', { 'error.type': errorType(result.error) });
      // An earlier attempt started before a crash may have taken effect: when this one ends by
      // running out of time (however late it began), the step's outcome is unknown too.
      const outcomeUnknown = result.cutOff || (started > 0 && result.expired);
      await this.#failStep(step, attempt, result.error, at, outcomeUnknown);
      return { cause: result.error };
    });
  }

  #inStepSpan(
    operation: StepOperation,
    step: string,
    attempt: number,
    fn: (span: TelemetrySpan) => Promise<StepFailure | undefined>,
  ): Promise<void> {
    return inStepSpan(operation, step, attempt, () => this.#record, fn);
  }

  async #completeStep(step: SagaStep, attempt: number, output: unknown, at: number): Promise<void> {
    try {
      await this.#write({}, [{ type: 'stepCompleted', at, step: step.name, output }]);
    } catch (error) {
      // The step took effect but its output cannot be stored: fail it (compensating it with an
      // unknown outcome) rather than leave the saga running to fail again on every recover().
      if (!isSerializationError(error)) throw error;
      return this.#failStep(step, attempt, error, at, true);
    }
    const stored = this.#record.history[this.#record.history.length - 1];
    const kept = stored?.type === 'stepCompleted' ? stored.output : output;
    this.#deps.emit('stepCompleted', { ...this.#base, step: step.name, attempt, output: kept });
  }

  async #failStep(
    step: SagaStep,
    attempt: number,
    cause: unknown,
    at: number,
    outcomeUnknown: boolean,
  ): Promise<void> {
    const error = errorInfo(cause);
    this.#deps.logger.warn('Saga step failed; compensating the completed steps', {
      ...this.#fields(step.name),
      outcomeUnknown,
      error: cause,
    });
    await this.#write({ status: 'compensating', error }, [
      { type: 'stepFailed', at, step: step.name, error, ...(outcomeUnknown ? { outcomeUnknown } : {}) },
    ]);
    this.#deps.emit('stepFailed', { ...this.#base, step: step.name, attempt, error });
    this.#deps.emit('compensating', { ...this.#base, error });
  }

  #limited(policy: SagaStep['retry']) {
    const { clock, track } = this.#deps;
    return { clock, policy: policy ?? noopPolicy, interrupt: this.#signal, track };
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
    const effect = effectOf(record, step.name);
    const key = `${record.sagaId}/${step.name}`;
    const base = {
      ...this.#base,
      input: record.input,
      context: contextBefore(this.#definition, record, step.name),
      ...(effect.kind === 'completed'
        ? { outcome: 'completed' as const, output: effect.output }
        : { outcome: 'unknown' as const, output: undefined }),
      idempotencyKey: `${key}/compensate`,
      runIdempotencyKey: key,
      attempt,
    };
    await this.#inStepSpan('compensate', step.name, attempt, async (span) => {
      span.setAttributes({ 'keel.saga.step_outcome': base.outcome });
      const result = await runLimited(
        this.#attempts(span, step.name, 'compensate', (signal) => step.compensate!({ ...base, signal })),
        { ...this.#limited(step.compensationRetry ?? step.retry), limit: undefined },
      );
      const at = this.#deps.clock.now();
      recordCompensation(record, step.name, result.ok ? 'completed' : 'failed');
      if (result.ok) {
        await this.#write({}, [{ type: 'compensationCompleted', at, step: step.name }]);
        this.#deps.emit('compensationCompleted', { ...this.#base, step: step.name, attempt });
        return undefined;
      }
      await this.#failCompensation(step, attempt, result.error, at);
      return { cause: result.error };
    });
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
    recordSagaFinished(this.#record);
    this.#deps.emit('compensationFailed', { ...this.#base, step: step.name, attempt, error });
    this.#deps.emit('sagaFinished', { ...this.#base, status: 'failed', error });
  }

  async #finish(status: SagaStatus, entry: SagaHistoryEntry): Promise<void> {
    await this.#write({ status }, [entry]);
    recordSagaFinished(this.#record);
    const error: SagaErrorInfo | undefined = this.#record.error;
    this.#deps.emit('sagaFinished', { ...this.#base, status, ...(error === undefined ? {} : { error }) });
  }

  /**
   * Wraps an attempt so each failure is logged before the policy sees it, and each attempt
   * after the first is reported on `span` as a retry.
   */
  #attempts<TResult>(
    span: TelemetrySpan,
    step: string,
    operation: StepOperation,
    fn: (signal: AbortSignal) => PromiseLike<TResult> | TResult,
  ) {
    const message = operation === 'run' ? 'Saga step attempt failed' : 'Saga compensation attempt failed';
    const logged = async (signal: AbortSignal): Promise<TResult> => {
      try {
        return await fn(signal);
      } catch (error) {
        if (!this.#signal.aborted) this.#deps.logger.warn(message, { ...this.#fields(step), error });
        throw error;
      }
    };
    if (!telemetryEnabled()) return logged;
    const labels = { sagaName: this.#record.sagaName, step, operation };
    return countRetries(span, labels, () => this.#deps.clock.now(), logged);
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
