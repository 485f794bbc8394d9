// Test helpers shared by this package's tests; not exported.
import type { Clock, LogEntry, Logger, Policy, PolicyContext } from '@keel/core';
import { createLogger, KeelError } from '@keel/core';
import { defineSaga } from '../definition/defineSaga.js';

/** A tiny retry policy: up to `attempts` tries, `delayMs` apart on `clock`. */
export function retryPolicy(attempts: number, clock?: Clock, delayMs = 0): Policy {
  return {
    async execute<TResult>(
      fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
      signal?: AbortSignal,
    ): Promise<TResult> {
      const effective = signal ?? new AbortController().signal;
      for (let attempt = 1; ; attempt++) {
        effective.throwIfAborted();
        try {
          return await fn({ signal: effective });
        } catch (error) {
          if (attempt >= attempts || effective.aborted) throw error;
          if (clock !== undefined && delayMs > 0) await clock.sleep(delayMs, effective);
        }
      }
    },
  };
}

/** A logger that keeps its entries. */
export function recordingLogger(): Logger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return Object.assign(
    createLogger((entry) => entries.push(entry), { level: 'debug' }),
    { entries },
  );
}

/**
 * An in-process service that applies an effect once per idempotency key, counts every call,
 * and can be told to fail.
 */
export class FakeService {
  /** Times each key's effect was applied (should never exceed 1). */
  readonly applied = new Map<string, number>();
  /** Times each key's effect was undone. */
  readonly undone = new Map<string, number>();
  /** Every call, in order: `do:<key>` or `undo:<key>`. */
  readonly calls: string[] = [];
  /** Fail the next N `do` calls. */
  failNext = 0;
  /** Fail every `do` call. */
  failAlways = false;
  /** Fail the next N `undo` calls. */
  failUndoNext = 0;

  constructor(readonly name: string) {}

  async do(key: string): Promise<{ id: string }> {
    this.calls.push(`do:${key}`);
    if (this.failAlways || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      throw new KeelError('SERVICE_DOWN', `${this.name} refused ${key}.`);
    }
    if (!this.applied.has(key)) this.applied.set(key, 1);
    return { id: `${this.name}:${key}` };
  }

  async undo(key: string): Promise<void> {
    this.calls.push(`undo:${key}`);
    if (this.failUndoNext > 0) {
      this.failUndoNext--;
      throw new KeelError('SERVICE_DOWN', `${this.name} could not undo ${key}.`);
    }
    if (!this.undone.has(key)) this.undone.set(key, 1);
  }
}

/** The services of the test order saga. */
export interface OrderServices {
  readonly orders: FakeService;
  readonly inventory: FakeService;
  readonly payments: FakeService;
  readonly shipping: FakeService;
}

/** Fresh services for one test. */
export function orderServices(): OrderServices {
  return {
    orders: new FakeService('orders'),
    inventory: new FakeService('inventory'),
    payments: new FakeService('payments'),
    shipping: new FakeService('shipping'),
  };
}

/** The four-step order saga of the tests: create → reserve → pay → ship. */
export function orderSaga(services: OrderServices, options: { retry?: Policy; timeoutMs?: number } = {}) {
  const extra = {
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  const step = (service: FakeService) => ({
    run: ({ idempotencyKey }: { idempotencyKey: string }) => service.do(idempotencyKey),
    compensate: ({ idempotencyKey }: { idempotencyKey: string }) =>
      service.undo(idempotencyKey.replace(/\/compensate$/, '')),
    ...extra,
  });
  return defineSaga('order')
    .input<{ orderId: string; amount: number }>()
    .step('create', step(services.orders))
    .step('reserve', step(services.inventory))
    .step('pay', step(services.payments))
    .step('ship', { run: ({ idempotencyKey }) => services.shipping.do(idempotencyKey), ...extra });
}

/** Aborts `controller` with `reason` after `ticks` microtask turns (0: at once, synchronously). */
export async function abortAfterTicks(
  controller: AbortController,
  ticks: number,
  reason: unknown,
): Promise<void> {
  for (let tick = 0; tick < ticks; tick++) await Promise.resolve();
  controller.abort(reason);
}

/** Settles `promise` into a value or an error, never rejecting. */
export function settle<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
