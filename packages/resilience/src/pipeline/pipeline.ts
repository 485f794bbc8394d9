import { assertOptions, optionObject, throwIfAborted } from '@keel/core';
import type { Policy, PolicyContext } from '@keel/core';
import { contextFor, isInert } from '../internal/signal.js';

/**
 * Any policy of this package (or any core `Policy`): runs a function with a context of type
 * `TContext` and resolves to its result, widened by `TExtra` for policies that may substitute a
 * value of their own (`fallback`, `chaos` result injection). A core `Policy<TContext>` is a
 * `ResiliencePolicy<TContext, never>`.
 */
export interface ResiliencePolicy<TContext extends PolicyContext = PolicyContext, TExtra = never> {
  /** Type-only marker of `TExtra` (never set at run time), read by {@link ExtraOf}. */
  readonly '~extra'?: () => TExtra;
  /** Runs `fn` under this policy. */
  execute<TResult>(
    fn: (context: TContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult | TExtra>;
}

/** The context type a policy hands to its function. */
export type ContextOf<TPolicy> = TPolicy extends {
  execute(fn: (context: infer TContext) => never, signal?: AbortSignal): unknown;
}
  ? TContext
  : never;

/** The values a policy may resolve to besides the function's own result. */
export type ExtraOf<TPolicy> = TPolicy extends unknown
  ? '~extra' extends keyof TPolicy
    ? TPolicy extends { readonly '~extra'?: () => infer TExtra }
      ? TExtra
      : never
    : never
  : never;

type UnionToIntersection<TUnion> = (TUnion extends unknown ? (value: TUnion) => void : never) extends (
  value: infer TIntersection,
) => void
  ? TIntersection
  : never;

/** The context a pipeline's function receives: every policy's context merged. */
export type PipelineContext<TPolicies extends readonly unknown[]> = PolicyContext &
  UnionToIntersection<{ [K in keyof TPolicies]: ContextOf<TPolicies[K]> }[number]>;

/** A policy made of policies, the first outermost. */
export type Pipeline<TPolicies extends readonly unknown[]> = [ExtraOf<TPolicies[number]>] extends [never]
  ? Policy<PipelineContext<TPolicies>>
  : ResiliencePolicy<PipelineContext<TPolicies>, ExtraOf<TPolicies[number]>>;

type AnyPolicy = ResiliencePolicy<any, unknown>;
type Fn = (context: any) => unknown;

/** The context the function sees: every layer's fields, and the innermost layer's signal. */
class MergedContext implements PolicyContext {
  readonly #inner: PolicyContext;

  constructor(inner: PolicyContext) {
    this.#inner = inner;
  }

  /** The innermost layer's signal. */
  get signal(): AbortSignal {
    return this.#inner.signal;
  }
}

function copyFields(from: PolicyContext, to: MergedContext): void {
  // `signal` is skipped, not read: reading it would create a lazy signal nobody may need.
  for (const key of Object.keys(from)) {
    if (key !== 'signal')
      (to as unknown as Record<string, unknown>)[key] = (from as unknown as Record<string, unknown>)[key];
  }
}

function runLayer(
  policies: readonly AnyPolicy[],
  index: number,
  fn: Fn,
  outer: PolicyContext | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const policy = policies[index]!;
  return policy.execute((context: PolicyContext) => {
    let merged = context;
    if (outer !== undefined) {
      merged = new MergedContext(context);
      copyFields(outer, merged as MergedContext);
      copyFields(context, merged as MergedContext);
    }
    if (index === policies.length - 1) return fn(merged);
    // A signal that can never abort is passed down as "no signal": same meaning, no AbortController.
    return runLayer(policies, index + 1, fn, merged, isInert(context) ? undefined : context.signal);
  }, signal);
}

/**
 * Composes policies into one: the first wraps the second, which wraps the third, and so on.
 * The result is itself a core `Policy` (or a {@link ResiliencePolicy} when a layer may
 * substitute a value), and the function receives the merged context of every layer (when two
 * layers set the same field, such as `attempt` from `retry` and `hedge`, the inner one wins).
 *
 * Put `fallback` outermost, then `retry`, `circuitBreaker`, and `timeout` innermost so each
 * attempt gets its own time limit and the breaker sees every attempt.
 *
 * @param policies The layers, outermost first.
 * @returns A policy running the function through every layer.
 * @throws ValidationError when a layer is not a policy (an object with `execute`).
 * @example
 * ```ts
 * const resilient = pipeline(retry({ maxRetries: 2 }), circuitBreaker(), timeout(1_000));
 * const res = await resilient.execute(({ signal, attempt }) => fetch(url, { signal }));
 * ```
 */
export function pipeline<const TPolicies extends readonly AnyPolicy[]>(
  ...policies: TPolicies
): Pipeline<TPolicies> {
  assertOptions(
    'pipeline',
    Object.fromEntries(
      policies.map((policy, index) => [
        `policies.${index}`,
        optionObject(policy, 'a policy (with execute(fn, signal))', ['execute'], true),
      ]),
    ),
  );
  const layers: readonly AnyPolicy[] = Object.freeze([...policies]);
  const composed: ResiliencePolicy<PolicyContext, unknown> = {
    async execute(fn, signal) {
      throwIfAborted(signal);
      if (layers.length === 0) return fn(contextFor(signal));
      return runLayer(layers, 0, fn as Fn, undefined, signal) as Promise<never>;
    },
  };
  return Object.freeze(composed) as unknown as Pipeline<TPolicies>;
}
