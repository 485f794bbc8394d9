import {
  assertOptions,
  isConcurrencyError,
  optionClock,
  optionInteger,
  optionObject,
  optionRule,
  systemClock,
  telemetryEnabled,
  throwIfAborted,
  withDefaults,
  withSpan,
} from '@keel/core';
import type { Clock, Policy, TelemetrySpan } from '@keel/core';
import { errorTypeOf } from '../internal/telemetry.js';
import type { AppendResult, EventStore } from '../eventStore/eventStore.js';
import type { ExpectedVersion } from '../eventStore/expectedVersion.js';
import type { NewEvent, RecordedEvent } from '../eventStore/recordedEvent.js';
import { aggregateStream } from '../snapshots/aggregateStream.js';
import { snapshotIfDue } from '../snapshots/snapshotLifecycle.js';
import { checkSnapshotOptions } from '../snapshots/snapshotPolicy.js';
import type { SnapshotOptions } from '../snapshots/snapshotPolicy.js';
import { conflictRetry } from './conflictRetry.js';
import { decidedEvents } from './decider.js';
import type { DecidedEvent, Decider } from './decider.js';

/** The defaults of {@link CommandHandlerOptions}. */
export const COMMAND_HANDLER_DEFAULTS = Object.freeze({ maxConflictRetries: 0, clock: systemClock });

/** Options of {@link createCommandHandler}. */
export interface CommandHandlerOptions<TState> {
  /**
   * How many times to reload the stream and decide again when another writer appended first
   * (a `ConcurrencyError`), with {@link conflictRetry}'s exponential backoff and jitter between
   * attempts. Opt-in: a conflict is rethrown at once by default. Never applies when the caller
   * passes an explicit `expectedVersion`. Leave it out when you pass `conflictRetry`.
   * @default 0
   */
  maxConflictRetries?: number | undefined;
  /**
   * Any core `Policy` to run the attempts under when conflicts should be retried: e.g.
   * `retry({ maxRetries: 5, backoff: exponential() })` from `@keel/resilience`, or
   * {@link conflictRetry} with your own delays. Only a version conflict reaches the policy as a
   * failure; any other error (a rejected command, a store failure, an abort) ends the call at
   * once, whatever the policy would do with it. The caller's `signal` is handed to the policy,
   * and each attempt loads and appends with the signal the policy gives it.
   * @default conflictRetry({ maxRetries: maxConflictRetries, clock }) when `maxConflictRetries` > 0, else none
   */
  conflictRetry?: Policy | undefined;
  /** Waits between the default policy's attempts (see `maxConflictRetries`). @default systemClock */
  clock?: Clock | undefined;
  /** Load from and take snapshots. @default no snapshots */
  snapshots?: SnapshotOptions<TState> | undefined;
}

/** Options of one call of a {@link CommandHandler}. */
export interface HandleOptions {
  /**
   * The version the caller saw (e.g. from an HTTP `If-Match`); the append fails with a
   * `ConcurrencyError` if the stream moved on, and no retry happens.
   * @default the version just loaded
   */
  expectedVersion?: ExpectedVersion;
  /** Metadata added to every event (correlation ids, user …). @default {} */
  metadata?: Readonly<Record<string, unknown>>;
  /** Stops the load or append with the abort reason. */
  signal?: AbortSignal;
}

/** What a {@link CommandHandler} returns. */
export interface CommandResult<TState, TEvent extends DecidedEvent> {
  /**
   * The state after the new events. After an idempotent retry (the store found the decided
   * events already recorded), the stream's state with those events in it, folded once: as of
   * the later of the version loaded and the last recorded event.
   */
  readonly state: TState;
  /**
   * The events recorded (empty when the command decided nothing); after an idempotent retry,
   * the events recorded earlier.
   */
  readonly events: readonly RecordedEvent<TEvent['type'], TEvent['data']>[];
  /** The stream's version after the append: the version `state` is at. */
  readonly nextExpectedVersion: number;
}

/** Handles one command against one stream: load, decide, append. */
export type CommandHandler<TCommand, TState, TEvent extends DecidedEvent> = (
  streamName: string,
  command: TCommand,
  options?: HandleOptions,
) => Promise<CommandResult<TState, TEvent>>;

/**
 * Creates the command handler of a {@link Decider}: it loads the stream's state (from a
 * snapshot when configured), calls `decide`, and appends the events expecting the version it
 * loaded. With `maxConflictRetries` (or any `conflictRetry` policy), a conflict reloads the
 * state and decides again after a backoff. When the store finds the decided events already
 * recorded (a retry after a lost acknowledgement, `appended: false`), the result is the
 * stream's true state and version with those events counted once, and no snapshot is taken.
 *
 * @param store The event store.
 * @param decider The decider.
 * @param options Retries and snapshots.
 * @returns The handler.
 * @throws ValidationError when `maxConflictRetries` is not an integer from 0 to 1,000, both it and
 *   `conflictRetry` are set, `conflictRetry` is not a `Policy`, or the snapshot options are
 *   incomplete or out of range.
 * @example
 * ```ts
 * const handle = createCommandHandler(store, accountDecider, { maxConflictRetries: 3 });
 * await handle('account-1', { type: 'Deposit', amount: 50 });
 * ```
 */
export function createCommandHandler<TCommand, TState, TEvent extends DecidedEvent>(
  store: EventStore,
  decider: Decider<TCommand, TState, TEvent>,
  options: CommandHandlerOptions<TState> = {},
): CommandHandler<TCommand, TState, TEvent> {
  const policy = conflictPolicy(options);
  checkSnapshotOptions(options.snapshots as SnapshotOptions<never> | undefined);
  const once = (streamName: string, command: TCommand, handle: HandleOptions, signal?: AbortSignal) =>
    decideAndAppend(store, decider, options.snapshots, streamName, command, handle, signal);
  const attempt = async (
    streamName: string,
    command: TCommand,
    handle: HandleOptions,
    span: TelemetrySpan | undefined,
  ): Promise<CommandResult<TState, TEvent>> => {
    throwIfAborted(handle.signal);
    if (policy === undefined || handle.expectedVersion !== undefined) {
      return once(streamName, command, handle, handle.signal);
    }
    return underPolicy(policy, span, (signal) => once(streamName, command, handle, signal), handle.signal);
  };
  return (streamName, command, handle = {}) => {
    if (!telemetryEnabled()) return attempt(streamName, command, handle, undefined);
    const type = (command as { type?: unknown } | undefined)?.type;
    const name = `decide ${typeof type === 'string' ? type : 'command'}`;
    const attributes = {
      'keel.stream.name': streamName,
      'keel.message.type': typeof type === 'string' ? type : undefined,
    };
    return withSpan(name, { attributes }, (span) => attempt(streamName, command, handle, span));
  };
}

/** The policy conflicts are retried under, or `undefined` when they are not retried. */
function conflictPolicy<TState>(options: CommandHandlerOptions<TState>): Policy | undefined {
  const settings = withDefaults(COMMAND_HANDLER_DEFAULTS, options);
  assertOptions('command handler', {
    maxConflictRetries:
      optionInteger(settings.maxConflictRetries, { min: 0, max: 1_000 }) ??
      optionRule(
        settings.maxConflictRetries === 0 || settings.conflictRetry === undefined,
        'cannot be combined with conflictRetry: set the retries on that policy instead.',
      ),
    conflictRetry: optionObject(settings.conflictRetry, 'a Policy', ['execute']),
    clock: optionClock(settings.clock, ['sleep']),
  });
  if (settings.conflictRetry !== undefined) return settings.conflictRetry;
  const retries = settings.maxConflictRetries;
  return retries === 0 ? undefined : conflictRetry({ maxRetries: retries, clock: settings.clock });
}

/**
 * Runs attempts under `policy` so that only a version conflict fails an attempt: any other error
 * is held back (the attempt "succeeds", so no policy retries it) and rethrown afterwards.
 */
async function underPolicy<TResult>(
  policy: Policy,
  span: TelemetrySpan | undefined,
  once: (signal: AbortSignal) => Promise<TResult>,
  signal: AbortSignal | undefined,
): Promise<TResult> {
  let attempts = 0;
  let final: { readonly error: unknown } | undefined;
  let lastConflict: unknown;
  const result = await policy.execute(async (context) => {
    if (attempts++ > 0) {
      span?.addEvent('retry', { 'keel.attempt': attempts, 'error.type': errorTypeOf(lastConflict) });
    }
    final = undefined;
    throwIfAborted(signal);
    try {
      return await once(context.signal);
    } catch (error) {
      if (!isConcurrencyError(error)) {
        final = { error };
        return undefined;
      }
      lastConflict = error;
      throw error;
    }
  }, signal);
  if (final !== undefined) throw final.error;
  return result as TResult;
}

/** One attempt: load the state, decide, append at the loaded version, snapshot if due. */
async function decideAndAppend<TCommand, TState, TEvent extends DecidedEvent>(
  store: EventStore,
  decider: Decider<TCommand, TState, TEvent>,
  snapshots: SnapshotOptions<TState> | undefined,
  streamName: string,
  command: TCommand,
  handle: HandleOptions,
  signal: AbortSignal | undefined,
): Promise<CommandResult<TState, TEvent>> {
  const signalOption = signal === undefined ? {} : { signal };
  const evolve = (state: TState, event: RecordedEvent): TState =>
    decider.evolve(state, event as unknown as TEvent);
  const initialState = () => decider.initialState();
  const loaded = await aggregateStream(store, streamName, {
    initialState,
    evolve,
    snapshots,
    ...signalOption,
  });
  const events = decidedEvents(decider.decide(command, loaded.state));
  if (events.length === 0) return { state: loaded.state, events: [], nextExpectedVersion: loaded.version };
  const result = await store.appendToStream(
    streamName,
    events.map((event) => withMetadata(event, handle)),
    { expectedVersion: handle.expectedVersion ?? loaded.version, ...signalOption },
  );
  if (!result.appended) return alreadyRecorded(store, evolve, streamName, loaded, result, signalOption);
  const state = result.events.reduce(evolve, loaded.state);
  await snapshotIfDue(snapshots, { streamName, ...stateAfter(result, loaded), state }, signalOption);
  return {
    state,
    events: result.events as CommandResult<TState, TEvent>['events'],
    nextExpectedVersion: result.nextExpectedVersion,
  };
}

/**
 * The result of an append the store found already recorded: the loaded state may be before, at
 * or after the recorded events (the caller's expected version, or `ANY`, need not be the version
 * loaded), so they are folded only past the loaded version, and any gap between is read first.
 * No snapshot is taken: the retry appended nothing.
 */
async function alreadyRecorded<TState, TEvent extends DecidedEvent>(
  store: EventStore,
  evolve: (state: TState, event: RecordedEvent) => TState,
  streamName: string,
  loaded: { state: TState; version: number },
  result: AppendResult,
  signalOption: { signal?: AbortSignal },
): Promise<CommandResult<TState, TEvent>> {
  let { state, version } = loaded;
  const unseen = result.events.filter((event) => event.streamVersion > version);
  const last = unseen[unseen.length - 1]?.streamVersion ?? version;
  if (unseen[0]?.streamVersion === version + 1) {
    for (const event of unseen) state = evolve(state, event);
    version = last;
  } else if (last > version) {
    const gap = { fromVersion: version + 1, maxCount: last - version, ...signalOption };
    for await (const page of store.readStreamPages(streamName, gap)) {
      for (const event of page) state = evolve(state, event);
      version = page[page.length - 1]?.streamVersion ?? version;
    }
  }
  return {
    state,
    events: result.events as CommandResult<TState, TEvent>['events'],
    nextExpectedVersion: version,
  };
}

function stateAfter(result: AppendResult, loaded: { snapshotVersion: number }) {
  return {
    version: result.nextExpectedVersion,
    snapshotVersion: loaded.snapshotVersion,
    appended: result.events.length,
  };
}

function withMetadata(event: DecidedEvent, handle: HandleOptions): NewEvent {
  if (handle.metadata === undefined) return event;
  return { ...event, metadata: { ...handle.metadata, ...event.metadata } };
}
