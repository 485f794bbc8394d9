import {
  abortReason,
  assertOptions,
  isSerializationError,
  linkedAbortController,
  optionClock,
  optionFunction,
  optionNumber,
  optionObject,
  optionRule,
  raceAbort,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Message } from '@keel/core';
import { IdempotencyInProgressError } from '../errors/errors.js';
import type { MessageKind } from '../errors/errors.js';
import { callsOf, existingSignal, HANDLER_CALLS, spanOf } from '../dispatch/dispatchContext.js';
import type { InternalOverrides } from '../dispatch/dispatchContext.js';
import { HandlerCalls } from '../dispatch/handlerCalls.js';
import { noteDuplicate } from '../internal/telemetry.js';
import type { MessageContext, Middleware, Next } from '../middleware/middleware.js';
import { ClaimLease } from './claimLease.js';
import type { IdempotencyStore } from './idempotencyStore.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';
import { SharedAttempt } from './sharedAttempt.js';

/** Options of {@link idempotencyMiddleware}; an option that is `undefined` keeps its default. */
export interface IdempotencyMiddlewareOptions {
  /** Where handled messages and results are remembered. @default a new InMemoryIdempotencyStore on `clock` */
  store?: IdempotencyStore | undefined;
  /**
   * The idempotency key of a message. `handler` is the handler's name when the middleware runs
   * per handler (the event bus's `handlerMiddleware`), so each handler of an event runs once.
   * @default `<kind>:<messageId>`, plus `:<handler>` per handler
   */
  key?: ((message: Message, kind: MessageKind, handler?: string) => string) | undefined;
  /** How long a claim holds before another worker may take over (a crashed holder), in ms (finite, > 0). @default 30_000 */
  leaseMs?: number | undefined;
  /**
   * How often a running handler's claim is renewed, in ms (> 0 and < `leaseMs`, or Infinity to
   * never renew). If renewing fails until the lease runs out, the handler's signal aborts with
   * an `IdempotencyClaimLostError`.
   * @default leaseMs / 3
   */
  renewEveryMs?: number | undefined;
  /** How often to look again while another worker holds the key, in ms (finite, > 0). @default 50 */
  pollMs?: number | undefined;
  /** How long to wait for another worker before giving up with IdempotencyInProgressError, in ms (>= 0 or Infinity). @default 30_000 */
  maxWaitMs?: number | undefined;
  /** The clock for polling and renewing. @default systemClock */
  clock?: Clock | undefined;
}

/** The key of a message unless {@link IdempotencyMiddlewareOptions.key} says otherwise. */
function defaultKey(message: Message, kind: MessageKind, handler?: string): string {
  const key = `${kind}:${message.metadata.messageId}`;
  return handler === undefined ? key : `${key}:${handler}`;
}

/** The defaults of {@link IdempotencyMiddlewareOptions}. */
export const IDEMPOTENCY_DEFAULTS = Object.freeze({
  key: defaultKey,
  leaseMs: 30_000,
  pollMs: 50,
  maxWaitMs: 30_000,
  clock: systemClock as Clock,
});

interface Settings {
  readonly store: IdempotencyStore;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly pollMs: number;
  readonly maxWaitMs: number;
  readonly clock: Clock;
}

function resolveSettings(options: IdempotencyMiddlewareOptions): Settings & { key: typeof defaultKey } {
  const settings = withDefaults(IDEMPOTENCY_DEFAULTS, options);
  const renewEveryMs = settings.renewEveryMs ?? settings.leaseMs / 3;
  const positive = { min: 0, exclusiveMin: true };
  assertOptions('idempotencyMiddleware', {
    store: optionObject(settings.store, 'an IdempotencyStore', ['claim', 'renew', 'complete', 'release']),
    key: optionFunction(settings.key),
    leaseMs: optionNumber(settings.leaseMs, positive),
    renewEveryMs:
      optionNumber(renewEveryMs, { ...positive, infinity: true }) ??
      optionRule(
        renewEveryMs === Infinity || renewEveryMs < settings.leaseMs,
        `must be shorter than leaseMs, or Infinity to never renew (got ${renewEveryMs} >= ${settings.leaseMs}).`,
      ),
    pollMs: optionNumber(settings.pollMs, positive),
    maxWaitMs: optionNumber(settings.maxWaitMs, { min: 0, infinity: true }),
    clock: optionClock(settings.clock, ['now', 'sleep']),
  });
  const store = settings.store ?? new InMemoryIdempotencyStore({ clock: settings.clock });
  return { ...settings, store, renewEveryMs };
}

/**
 * Handles each message id once: a repeated message returns the first result without running
 * anything, also when copies arrive at the same time (they share one run) or on other
 * processes sharing the store (they wait for the holder's result).
 *
 * - Each caller waits with its own signal: one caller that aborts ends only its own wait. The
 *   handler's signal aborts only when every waiting caller has left.
 * - A claim carries an owner token and is renewed while the handler runs (`renewEveryMs`), so
 *   a handler longer than the lease does not run again elsewhere; if the claim is lost, the
 *   handler's signal aborts with an `IdempotencyClaimLostError`.
 * - A failed attempt is not remembered, so a retry runs again. But the claim is given up only
 *   once every handler call under it has ended: when a later middleware (a timeout) stopped
 *   waiting for a handler that runs on, the claim is held until it ends, and if it then
 *   succeeds its result is recorded. So a message never runs twice at once.
 * - The result is stored as JSON (see the store); a result the store refuses rejects with
 *   core's `SerializationError` and is not remembered.
 *
 * @throws {IdempotencyInProgressError} from the pipeline when another worker holds the key for longer than `maxWaitMs`.
 * @throws {ValidationError} at construction when an option is out of range or of the wrong kind.
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store: new InMemoryIdempotencyStore() })] });
 * ```
 */
export function idempotencyMiddleware(options: IdempotencyMiddlewareOptions = {}): Middleware {
  const settings = resolveSettings(options);
  const inFlight = new Map<string, SharedAttempt>();

  const idempotency: Middleware = async (context, next) => {
    const key = settings.key(context.message, context.kind, context.handler);
    const signal = existingSignal(context);
    const started = settings.clock.now();
    for (;;) {
      throwIfAborted(signal);
      const current = inFlight.get(key);
      if (current === undefined) break;
      if (current.joinable) {
        noteDuplicate(spanOf(context), context.kind, context.message, 'in_flight');
        return current.join(signal);
      }
      // A run nobody waits for any more, or one whose handler still runs: let it end first.
      await waitForEnd(settings, key, current, started, signal);
    }
    const attempt = new SharedAttempt();
    inFlight.set(key, attempt);
    const parentCalls = callsOf(context);
    attempt.start((self) => runOnce(settings, { key, next, attempt: self, parentCalls, context }));
    void attempt.finished.then(() => {
      if (inFlight.get(key) === attempt) inFlight.delete(key);
    });
    return attempt.join(signal);
  };
  return idempotency;
}

/** Waits for a run that can no longer be joined, at most until `maxWaitMs` after `started`. */
async function waitForEnd(
  settings: Settings,
  key: string,
  run: SharedAttempt,
  started: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { clock, maxWaitMs } = settings;
  if (!Number.isFinite(maxWaitMs)) return raceAbort(run.finished, signal);
  const timer = linkedAbortController(signal);
  try {
    const remaining = Math.max(0, started + maxWaitMs - clock.now());
    const givingUp = clock.sleep(remaining, timer.signal).then(() => {
      throw new IdempotencyInProgressError(key, clock.now() - started);
    });
    await Promise.race([raceAbort(run.finished, signal), givingUp]);
  } finally {
    timer.abort();
    timer.dispose();
  }
}

interface Run {
  readonly key: string;
  readonly next: Next;
  readonly attempt: SharedAttempt;
  readonly parentCalls: HandlerCalls | undefined;
  /** The message's context, to note a duplicate on its span. */
  readonly context: MessageContext;
}

async function runOnce(settings: Settings, run: Run): Promise<unknown> {
  const { store, leaseMs, pollMs, maxWaitMs, clock } = settings;
  const { key, attempt } = run;
  const started = clock.now();
  for (;;) {
    const claimedAt = clock.now();
    const claim = await store.claim(key, leaseMs, attempt.signal);
    if (claim.status === 'completed') {
      noteDuplicate(spanOf(run.context), run.context.kind, run.context.message, 'stored');
      return claim.result;
    }
    if (claim.status === 'claimed') return runClaimed(settings, run, claim.token, claimedAt);
    const waited = clock.now() - started;
    if (waited >= maxWaitMs) throw new IdempotencyInProgressError(key, waited);
    await clock.sleep(Math.min(pollMs, maxWaitMs - waited), attempt.signal);
  }
}

async function runClaimed(settings: Settings, run: Run, token: string, claimedAt: number): Promise<unknown> {
  const { store } = settings;
  const { key, attempt } = run;
  if (attempt.signal.aborted) {
    await store.release(key, token).catch(() => false);
    throw abortReason(attempt.signal);
  }
  const handlerSignal = linkedAbortController(attempt.signal);
  const lease = new ClaimLease(
    { ...settings, key, token, onLost: (error) => handlerSignal.abort(error) },
    claimedAt,
  );
  const done = (): void => {
    lease.stop();
    handlerSignal.dispose();
  };
  const calls = new HandlerCalls(run.parentCalls);
  let result: unknown;
  try {
    const overrides: InternalOverrides = { signal: handlerSignal.signal, [HANDLER_CALLS]: calls };
    result = await run.next(overrides);
  } catch (error) {
    attempt.afterwards(settleAfterFailure(store, key, token, calls).finally(done));
    throw error;
  }
  try {
    await store.complete(key, token, result);
  } catch (error) {
    if (isSerializationError(error)) await store.release(key, token).catch(() => false);
    throw error;
  } finally {
    done();
  }
  return result;
}

/**
 * After a failed attempt: waits until no handler call under the claim runs any more, then
 * records the result of one that succeeded late (its effect happened) or gives the claim up.
 * If the store cannot be reached, the claim simply expires with its lease.
 */
async function settleAfterFailure(
  store: IdempotencyStore,
  key: string,
  token: string,
  calls: HandlerCalls,
): Promise<void> {
  await calls.whenIdle();
  const success = calls.success;
  if (success !== undefined) {
    try {
      await store.complete(key, token, success.result);
      return;
    } catch (error) {
      if (!isSerializationError(error)) return;
    }
  }
  await store.release(key, token);
}
