import type { Policy, StandardSchemaV1 } from '@keel/core';
import { SagaConfigError } from '../errors/errors.js';

/** Flattens an intersection so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What a step's `run` receives. */
export interface StepContext<TInput, TContext> {
  readonly sagaId: string;
  readonly sagaName: string;
  /** The saga's input, as given to `start` (after schema validation). */
  readonly input: TInput;
  /** The outputs of the steps before this one, by step name. */
  readonly context: TContext;
  /**
   * Stable for this step of this saga (`<sagaId>/<step>` for `run`, `<sagaId>/<step>/compensate`
   * for `compensate`) across retries and restarts: pass it to the service so a re-run is safe.
   */
  readonly idempotencyKey: string;
  /** How many times this step has been started, counting restarts after a crash (1 the first time). */
  readonly attempt: number;
  /** Aborted on timeout, deadline, lease loss or shutdown; pass it to every I/O call. */
  readonly signal: AbortSignal;
}

/** What a step's `compensate` receives: the step context plus the step's own output. */
export interface CompensationContext<TInput, TContext, TOutput> extends StepContext<TInput, TContext> {
  /** What this step's `run` returned. */
  readonly output: TOutput;
}

/** How one step runs and how it is undone. */
export interface StepOptions<TInput, TContext, TOutput> {
  /** Does the step's work; its result (JSON-serializable) is stored and added to the context. */
  run(context: StepContext<TInput, TContext>): PromiseLike<TOutput> | TOutput;
  /** Undoes the step after a later step failed. Steps without it are skipped when compensating. */
  compensate?(context: CompensationContext<TInput, TContext, TOutput>): PromiseLike<void> | void;
  /**
   * Runs `run` (e.g. `retry()` from `@keel/resilience`); any core `Policy` works.
   * @default a single attempt
   */
  retry?: Policy;
  /** Runs `compensate`. @default the `retry` policy */
  compensationRetry?: Policy;
  /**
   * Limit in ms for the step, retries included, from its first start; stored as an absolute
   * time, so it holds across restarts. When exceeded, the step fails with a `TimeoutError`.
   * @default no limit
   */
  timeoutMs?: number;
}

/** A step as stored in a definition. */
export interface SagaStep {
  readonly name: string;
  readonly run: (context: StepContext<any, any>) => unknown;
  readonly compensate?: (context: CompensationContext<any, any, any>) => unknown;
  readonly retry?: Policy;
  readonly compensationRetry?: Policy;
  readonly timeoutMs?: number;
}

/** Any saga definition, whatever its types. */
export type AnySagaDefinition = SagaDefinition<string, any, any>;
/** The input type of a saga definition. */
export type SagaInputOf<TSaga> = TSaga extends SagaDefinition<string, infer TInput, any> ? TInput : never;
/** The context type (all step outputs by name) of a saga definition. */
export type SagaContextOf<TSaga> =
  TSaga extends SagaDefinition<string, any, infer TContext> ? TContext : never;

function checkMs(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new SagaConfigError(`${what} must be a finite number of milliseconds > 0; got ${ms}.`);
  }
  return ms;
}

/**
 * An immutable saga definition, built step by step with {@link defineSaga}. Each builder call
 * returns a new definition, so a partial one can be shared safely.
 */
export class SagaDefinition<TName extends string, TInput, TContext extends object> {
  readonly name: TName;
  /** The steps, in run order. */
  readonly steps: readonly SagaStep[];
  /** The saga-level deadline, counted from `start`. */
  readonly deadlineMs: number | undefined;
  /** Validates the input at `start`. */
  readonly inputSchema: StandardSchemaV1 | undefined;

  /** @internal Use {@link defineSaga}. */
  constructor(name: TName, steps: readonly SagaStep[], deadlineMs?: number, inputSchema?: StandardSchemaV1) {
    this.name = name;
    this.steps = Object.freeze([...steps]);
    this.deadlineMs = deadlineMs;
    this.inputSchema = inputSchema;
  }

  /** Declares the input type; with a Standard Schema (e.g. zod) `start` also validates it. */
  input<TNewInput>(): SagaDefinition<TName, TNewInput, object>;
  input<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): SagaDefinition<TName, StandardSchemaV1.InferOutput<TSchema>, object>;
  input(schema?: StandardSchemaV1): SagaDefinition<TName, unknown, object> {
    if (this.steps.length > 0)
      throw new SagaConfigError(`Saga "${this.name}": declare input() before the steps.`);
    return new SagaDefinition(this.name, [], this.deadlineMs, schema);
  }

  /**
   * Adds a step. Its output becomes `context[name]` for the steps after it.
   * @throws {SagaConfigError} on a duplicate or empty name or an invalid `timeoutMs`.
   */
  step<TStep extends string, TOutput>(
    name: TStep extends keyof TContext ? never : TStep,
    options: StepOptions<TInput, TContext, TOutput>,
  ): SagaDefinition<TName, TInput, Simplify<TContext & { readonly [K in TStep]: TOutput }>> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new SagaConfigError(`Saga "${this.name}": a step name must be a non-empty string.`);
    }
    if (this.steps.some((step) => step.name === name)) {
      throw new SagaConfigError(
        `Saga "${this.name}" already has a step named "${name}"; step names must be unique.`,
      );
    }
    if (typeof options?.run !== 'function') {
      throw new SagaConfigError(`Saga "${this.name}": step "${name}" needs a run function.`);
    }
    if (options.timeoutMs !== undefined)
      checkMs(`Saga "${this.name}": step "${name}" timeoutMs`, options.timeoutMs);
    const step: SagaStep = Object.freeze({ ...options, name });
    return new SagaDefinition(this.name, [...this.steps, step], this.deadlineMs, this.inputSchema);
  }

  /**
   * Sets a deadline for the whole saga, counted from `start` and stored as an absolute time.
   * Past it, the running step is aborted and the completed steps are compensated.
   * @throws {SagaConfigError} when `ms` is not a positive finite number.
   */
  deadline(ms: number): SagaDefinition<TName, TInput, TContext> {
    return new SagaDefinition(
      this.name,
      this.steps,
      checkMs(`Saga "${this.name}" deadline`, ms),
      this.inputSchema,
    );
  }
}

/**
 * Starts a saga definition: declare the input, then add steps in order.
 *
 * @param name A stable name: stored with every instance and used to find the definition on recovery.
 * @throws {SagaConfigError} when `name` is empty.
 * @example
 * ```ts
 * const orderSaga = defineSaga('order')
 *   .input<{ orderId: string; amount: number }>()
 *   .step('reserve', { run: ({ input, idempotencyKey }) => inventory.reserve(input.orderId, idempotencyKey),
 *                      compensate: ({ output }) => inventory.release(output.reservationId) })
 *   .step('charge', { run: ({ input, idempotencyKey }) => payments.charge(input.amount, idempotencyKey) });
 * ```
 */
export function defineSaga<TName extends string>(name: TName): SagaDefinition<TName, void, object> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new SagaConfigError('A saga name must be a non-empty string.');
  }
  return new SagaDefinition(name, []);
}
