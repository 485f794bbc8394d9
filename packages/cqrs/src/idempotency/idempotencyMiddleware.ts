import { systemClock } from '@keel/core';
import type { Clock, Message } from '@keel/core';
import { IdempotencyInProgressError } from '../errors/errors.js';
import { checkPositive } from '../internal/checks.js';
import type { Middleware, Next } from '../middleware/middleware.js';
import type { IdempotencyStore } from './idempotencyStore.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

/** Options of {@link idempotencyMiddleware}. */
export interface IdempotencyMiddlewareOptions {
  /** Where handled messages and results are remembered. @default a new InMemoryIdempotencyStore */
  store?: IdempotencyStore;
  /** The idempotency key of a message. @default `<kind>:<messageId>` */
  key?: (message: Message, kind: string) => string;
  /** How long a claim holds before another worker may take over (a crashed holder), in ms. @default 30_000 */
  leaseMs?: number;
  /** How often to look again while another worker holds the key, in ms. @default 50 */
  pollMs?: number;
  /** How long to wait for another worker before giving up with IdempotencyInProgressError, in ms. @default 30_000 */
  maxWaitMs?: number;
  /** The clock for polling. @default systemClock */
  clock?: Clock;
}

/** The defaults of {@link IdempotencyMiddlewareOptions}. */
export const IDEMPOTENCY_DEFAULTS = Object.freeze({ leaseMs: 30_000, pollMs: 50, maxWaitMs: 30_000 });

/**
 * Handles each message id once: a repeated message returns the first result without running
 * anything, also when both arrive at the same time (the second waits for the first). A failed
 * attempt is not remembered, so a retry runs again; concurrent duplicates of a failing attempt
 * share its error.
 *
 * @throws {IdempotencyInProgressError} from the pipeline when another worker holds the key for longer than `maxWaitMs`.
 * @throws {InvalidOptionError} at construction when a duration is out of range.
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store: new InMemoryIdempotencyStore() })] });
 * ```
 */
export function idempotencyMiddleware(options: IdempotencyMiddlewareOptions = {}): Middleware {
  const settings = { ...IDEMPOTENCY_DEFAULTS, ...options };
  const leaseMs = checkPositive('leaseMs', settings.leaseMs);
  const pollMs = checkPositive('pollMs', settings.pollMs);
  const maxWaitMs = checkPositive('maxWaitMs', settings.maxWaitMs, true);
  const clock = options.clock ?? systemClock;
  const store = options.store ?? new InMemoryIdempotencyStore({ clock });
  const keyOf = options.key ?? ((message: Message, kind: string) => `${kind}:${message.metadata.messageId}`);
  const inFlight = new Map<string, Promise<unknown>>();

  const runOnce = async (key: string, signal: AbortSignal, next: Next): Promise<unknown> => {
    const started = clock.now();
    for (;;) {
      const claim = await store.claim(key, leaseMs, signal);
      if (claim.status === 'completed') return claim.result;
      if (claim.status === 'claimed') return runClaimed(store, key, signal, next);
      const waited = clock.now() - started;
      if (waited >= maxWaitMs) throw new IdempotencyInProgressError(key, waited);
      await clock.sleep(Math.min(pollMs, maxWaitMs - waited), signal);
    }
  };

  return async (context, next) => {
    const key = keyOf(context.message, context.kind);
    const running = inFlight.get(key);
    if (running !== undefined) return running;
    const attempt = runOnce(key, context.signal, next);
    inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      inFlight.delete(key);
    }
  };
}

async function runClaimed(
  store: IdempotencyStore,
  key: string,
  signal: AbortSignal,
  next: Next,
): Promise<unknown> {
  let result: unknown;
  try {
    result = await next();
  } catch (error) {
    await store.release(key).catch(() => {});
    throw error;
  }
  // No signal: the work is done, and losing its record would let a duplicate run it again.
  await store.complete(key, result);
  return result;
}
