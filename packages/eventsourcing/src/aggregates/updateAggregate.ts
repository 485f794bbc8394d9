import {
  assertOptions,
  isConcurrencyError,
  noopPolicy,
  NotFoundError,
  optionBoolean,
  optionFunction,
  optionInteger,
  optionObject,
  systemClock,
  throwIfAborted,
} from '@keel/core';
import type { Clock, Logger, Policy, TelemetrySpan } from '@keel/core';
import type { AnyAggregateRoot } from '@keel/ddd';
import { CONFLICT_RETRY_DEFAULTS, conflictDelay } from '../decider/conflictRetry.js';
import { errorTypeOf } from '../internal/telemetry.js';

/** The defaults of {@link UpdateOptions} (and of the repository's `maxConflictRetries`). */
export const UPDATE_DEFAULTS = Object.freeze({ maxConflictRetries: 3, createIfMissing: false });

/** Options of `EventSourcedRepository.update`. */
export interface UpdateOptions {
  /**
   * How many times to reload the aggregate and run the change again when another writer saved
   * first (a `ConcurrencyError`), after an exponential backoff with jitter (10, 20, 40 … ms,
   * each spread over its upper half, capped at 1 s), so writers that collided do not collide
   * again in step. 0 rethrows the first conflict.
   * @default the repository's `maxConflictRetries`, else 3
   */
  maxConflictRetries?: number | undefined;
  /**
   * Runs each attempt (load, change, save), e.g. a timeout or a circuit breaker from
   * `@keel/resilience`; its signal is the one the change receives. A retry policy that handles
   * `ConcurrencyError` adds backoff between conflicts (then set `maxConflictRetries: 0`).
   * @default the repository's `policy`, else none
   */
  policy?: Policy | undefined;
  /**
   * Whether a missing aggregate is created empty (version 0) and handed to the change, instead
   * of rejecting with a `NotFoundError`. Two concurrent creators conflict; the loser retries on
   * the winner's aggregate.
   * @default false
   */
  createIfMissing?: boolean | undefined;
  /** Stops between and during attempts; the call rejects with the abort reason. */
  signal?: AbortSignal | undefined;
}

/** What the change of `EventSourcedRepository.update` is told about its attempt. */
export interface UpdateContext {
  /** Aborted when the caller cancels or the policy gives up on this attempt. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry after a conflict, and so on. */
  readonly attempt: number;
}

/**
 * Changes a freshly loaded aggregate by calling its domain methods. It may run more than once
 * (after a conflict, on a reloaded aggregate), so it must not have effects outside the aggregate.
 */
export type AggregateChange<TAggregate> = (
  aggregate: TAggregate,
  context: UpdateContext,
) => void | Promise<void>;

/** What an update needs from its repository. */
export interface UpdateTarget<TAggregate extends AnyAggregateRoot, TId> {
  find(id: TId, options: { signal: AbortSignal }): Promise<TAggregate | undefined>;
  save(aggregate: TAggregate, options: { signal: AbortSignal }): Promise<void>;
  /** An empty aggregate for `id` (for `createIfMissing`), and to name it in errors and logs. */
  empty(id: TId): TAggregate;
}

/** The settings of one update, after merging the call's options over the repository's. */
export interface UpdateSettings {
  readonly maxConflictRetries: number;
  readonly policy: Policy;
  readonly createIfMissing: boolean;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * Merges the options of one `update` call over the repository's and checks them.
 *
 * @throws ValidationError listing every bad option.
 */
export function updateSettingsOf(
  change: unknown,
  options: UpdateOptions,
  defaults: {
    maxConflictRetries: number;
    policy: Policy | undefined;
    logger: Logger;
    clock?: Clock | undefined;
  },
): UpdateSettings {
  const settings = {
    maxConflictRetries: options.maxConflictRetries ?? defaults.maxConflictRetries,
    policy: options.policy ?? defaults.policy ?? noopPolicy,
    createIfMissing: options.createIfMissing ?? UPDATE_DEFAULTS.createIfMissing,
    signal: options.signal,
    logger: defaults.logger,
    clock: defaults.clock ?? systemClock,
  };
  assertOptions('update', {
    change: optionFunction(change, true),
    maxConflictRetries: optionInteger(settings.maxConflictRetries, { min: 0 }),
    policy: optionObject(settings.policy, 'a Policy', ['execute']),
    createIfMissing: optionBoolean(settings.createIfMissing),
    signal: optionObject(settings.signal, 'an AbortSignal', ['addEventListener']),
  });
  return settings;
}

/**
 * Loads the aggregate, applies `change` and saves it; on a `ConcurrencyError` waits the backoff,
 * reloads and tries again, up to `maxConflictRetries` times. Any other error (including one from `change`) is
 * rethrown at once, with nothing saved by that attempt.
 */
export async function updateWithRetries<TAggregate extends AnyAggregateRoot, TId>(
  target: UpdateTarget<TAggregate, TId>,
  id: TId,
  change: AggregateChange<TAggregate>,
  settings: UpdateSettings,
  span: TelemetrySpan | undefined,
): Promise<TAggregate> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(settings.signal);
    try {
      return await settings.policy.execute(
        ({ signal }) => updateOnce(target, id, change, settings, { signal, attempt }),
        settings.signal,
      );
    } catch (error) {
      if (!isConcurrencyError(error) || attempt > settings.maxConflictRetries) throw error;
      span?.addEvent('retry', { 'keel.attempt': attempt + 1, 'error.type': errorTypeOf(error) });
      const empty = target.empty(id);
      settings.logger.debug(
        `${empty.aggregateType} "${empty.idString}" was changed by another writer; reloading it for attempt ${attempt + 1} of ${settings.maxConflictRetries + 1}.`,
        { aggregateType: empty.aggregateType, aggregateId: empty.idString, attempt: attempt + 1 },
      );
    }
    await settings.clock.sleep(conflictDelay(CONFLICT_RETRY_DEFAULTS, attempt - 1), settings.signal);
  }
}

async function updateOnce<TAggregate extends AnyAggregateRoot, TId>(
  target: UpdateTarget<TAggregate, TId>,
  id: TId,
  change: AggregateChange<TAggregate>,
  settings: UpdateSettings,
  context: UpdateContext,
): Promise<TAggregate> {
  const { signal } = context;
  const found = await target.find(id, { signal });
  const aggregate = found ?? (settings.createIfMissing ? target.empty(id) : undefined);
  if (aggregate === undefined) {
    const empty = target.empty(id);
    throw new NotFoundError(empty.aggregateType, empty.idString);
  }
  await change(aggregate, context);
  throwIfAborted(signal);
  await target.save(aggregate, { signal });
  return aggregate;
}
