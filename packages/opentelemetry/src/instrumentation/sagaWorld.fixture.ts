import { KeelError, ManualClock } from '@keel/core';
import type { Clock, Policy, PolicyContext } from '@keel/core';
import { defineSaga, InMemorySagaStore, SagaOrchestrator } from '@keel/saga';
import type { SagaOutcome, SagaStore } from '@keel/saga';

// The saga world shared by the saga instrumentation tests.

/** The orchestrators' lease; a crashed one's saga is free again this long after the crash. */
export const LEASE_MS = 60_000;
/** The delay between two tries of the payment step. */
export const RETRY_DELAY_MS = 250;

/** Retries up to `attempts` times, sleeping `delayMs` on `clock` between tries. */
function retrying(attempts: number, clock: Clock, delayMs: number): Policy {
  return {
    async execute<TResult>(
      fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
      signal?: AbortSignal,
    ): Promise<TResult> {
      const effective = signal ?? new AbortController().signal;
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn({ signal: effective });
        } catch (error) {
          if (attempt >= attempts) throw error;
          await clock.sleep(delayMs, effective);
        }
      }
    },
  };
}

const refused = (what: string) => new KeelError('SERVICE_DOWN', `${what} refused.`);

/** What to make fail in {@link orderWorld}. */
export interface Knobs {
  /** How many payment attempts fail before one succeeds (3 tries in all). */
  payFailures?: number;
  /** The shipping step never answers, so its 5 s timeout cuts it off. */
  shipHangs?: boolean;
  /** Releasing the reservation fails every time. */
  releaseFails?: boolean;
}

/** The test saga: reserve → pay (retried) → ship (timed out after 5 s), on a manual clock. */
export function orderWorld(knobs: Knobs = {}) {
  const clock = new ManualClock(0);
  let payFailures = knobs.payFailures ?? 0;
  const saga = defineSaga('order')
    .input<{ orderId: string }>()
    .step('reserve', {
      run: () => 'r-1',
      compensate: () => {
        if (knobs.releaseFails === true) throw refused('release');
      },
    })
    .step('pay', {
      run: () => {
        if (payFailures-- > 0) throw refused('payment');
        return 'p-1';
      },
      compensate: () => {},
      retry: retrying(3, clock, RETRY_DELAY_MS),
    })
    .step('ship', {
      run: ({ signal }) => (knobs.shipHangs === true ? clock.sleep(3_600_000, signal) : undefined),
      timeoutMs: 5_000,
    });
  const store = new InMemorySagaStore();
  const orchestrator = (on: SagaStore = store, owner = 'worker-1') =>
    new SagaOrchestrator(on, [saga], { clock, leaseMs: LEASE_MS, owner });
  /** Moves the clock until `outcome` settles (retries and timeouts wait on it). */
  const drive = async <T>(outcome: Promise<T>): Promise<T> => {
    let settled = false;
    void outcome.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let round = 0; !settled && round < 200; round++) await clock.tickAsync(50);
    return outcome;
  };
  return { clock, store, orchestrator, drive };
}

/** An orchestrator of {@link orderWorld}. */
export type OrderOrchestrator = ReturnType<ReturnType<typeof orderWorld>['orchestrator']>;

/** Starts the test saga with id `sagaId`. */
export const start = (orchestrator: OrderOrchestrator, sagaId = 's-1'): Promise<SagaOutcome> =>
  orchestrator.start('order', { orderId: 'o-1' }, { sagaId });
