import type { Policy, StandardSchemaV1 } from '@keel/core';
import { assertOptions, optionFunction, optionNumber, optionObject, withDefaults } from '@keel/core';
import { SagaConfigError } from '../errors/errors.js';
import { MAX_MS, optionStorableText } from '../internal/storableText.js';

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

/**
 * What a step's `compensate` receives: the step context, the idempotency key its `run` had, and
 * what is known of its effect. `outcome: 'completed'` comes with the step's `output`;
 * `outcome: 'unknown'` means the step started but may or may not have taken effect, and its
 * output is not available: its timeout or the saga's deadline cut it off while it ran (or it was
 * interrupted by a crash and the time ran out before it could run again), or its output could
 * not be stored. A compensation must therefore tolerate a step that never took effect: look the
 * effect up by `runIdempotencyKey` and do nothing when there is none.
 */
export type CompensationContext<TInput, TContext, TOutput> = StepContext<TInput, TContext> & {
  /** The idempotency key the step's `run` was given (`<sagaId>/<step>`), to find its effect by. */
  readonly runIdempotencyKey: string;
} & (
    | {
        readonly outcome: 'completed';
        /** What this step's `run` returned (as stored: a `Date` comes back as its ISO string). */
        readonly output: TOutput;
      }
    | {
        readonly outcome: 'unknown';
        readonly output: undefined;
      }
  );

/** How one step runs and how it is undone. */
export interface StepOptions<TInput, TContext, TOutput> {
  /**
   * Does the step's work; its result is stored and added to the context. It must be storable
   * JSON (see core's `toStorableJson`): a result a store refuses fails the step (compensated
   * with an unknown outcome), and one JSON changes (a `Date`) reaches later steps changed.
   */
  run(context: StepContext<TInput, TContext>): PromiseLike<TOutput> | TOutput;
  /**
   * Undoes the step after the saga failed: for a step that completed, and for one whose outcome
   * is unknown (see {@link CompensationContext}), so it must tolerate a step that never took
   * effect. Steps without it are skipped when compensating.
   */
  compensate?:
    ((context: CompensationContext<TInput, TContext, TOutput>) => PromiseLike<void> | void) | undefined;
  /**
   * Runs `run` (e.g. `retry()` from `@keel/resilience`); any core `Policy` works.
   * @default a single attempt
   */
  retry?: Policy | undefined;
  /** Runs `compensate`. @default the `retry` policy */
  compensationRetry?: Policy | undefined;
  /**
   * Limit in ms for the step (> 0), retries included, from its first start; stored as an
   * absolute time, so it holds across restarts. When exceeded, the step fails with a
   * `TimeoutError`; as it may have taken effect, it is compensated too (outcome unknown).
   * @default Infinity (no limit)
   */
  timeoutMs?: number | undefined;
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

const POLICY_METHODS = ['execute'];

function checkName(what: string, name: unknown): void {
  const problem = optionStorableText(name, true);
  if (problem !== undefined) throw new SagaConfigError(`${what} ${problem}`);
}

/** Checks a step's options and drops the `undefined` ones (and an infinite timeout: no limit). */
function stepOf(sagaName: string, name: string, options: StepOptions<any, any, any>): SagaStep {
  if (options === null || typeof options !== 'object') {
    assertOptions(`saga "${sagaName}" step "${name}"`, { run: 'is required: a function' });
  }
  const settings = withDefaults({}, options);
  assertOptions(`saga "${sagaName}" step "${name}"`, {
    run: optionFunction(settings.run, true),
    compensate: optionFunction(settings.compensate),
    retry: optionObject(settings.retry, 'a Policy', POLICY_METHODS),
    compensationRetry: optionObject(settings.compensationRetry, 'a Policy', POLICY_METHODS),
    timeoutMs: optionNumber(settings.timeoutMs, { min: 0, exclusiveMin: true, max: MAX_MS, infinity: true }),
  });
  const { timeoutMs, ...rest } = settings;
  return Object.freeze({ ...rest, name, ...(timeoutMs === Infinity ? {} : { timeoutMs }) }) as SagaStep;
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
   * @throws {SagaConfigError} on a duplicate or empty name (or one with a NUL character).
   * @throws {ValidationError} when `run` is missing or an option has the wrong kind or range.
   */
  step<TStep extends string, TOutput>(
    name: TStep extends keyof TContext ? never : TStep,
    options: StepOptions<TInput, TContext, TOutput>,
  ): SagaDefinition<TName, TInput, Simplify<TContext & { readonly [K in TStep]: TOutput }>> {
    checkName(`Saga "${this.name}": a step name`, name);
    if (this.steps.some((step) => step.name === name)) {
      throw new SagaConfigError(
        `Saga "${this.name}" already has a step named "${name}"; step names must be unique.`,
      );
    }
    const step = stepOf(this.name, name, options);
    return new SagaDefinition(this.name, [...this.steps, step], this.deadlineMs, this.inputSchema);
  }

  /**
   * Sets a deadline for the whole saga, counted from `start` and stored as an absolute time.
   * Past it, the running step is aborted and the completed steps are compensated (the one
   * that was running too, as its outcome is unknown). `Infinity` means no deadline.
   * @throws {ValidationError} when `ms` is not a number > 0.
   */
  deadline(ms: number): SagaDefinition<TName, TInput, TContext> {
    assertOptions(`saga "${this.name}"`, {
      deadline: optionNumber(ms, { min: 0, exclusiveMin: true, max: MAX_MS, infinity: true, required: true }),
    });
    return new SagaDefinition(this.name, this.steps, ms === Infinity ? undefined : ms, this.inputSchema);
  }
}

/**
 * Starts a saga definition: declare the input, then add steps in order.
 *
 * @param name A stable name: stored with every instance and used to find the definition on recovery.
 * @throws {SagaConfigError} when `name` is empty (or has a NUL character or lone surrogate).
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
  checkName('A saga name', name);
  return new SagaDefinition(name, []);
}
