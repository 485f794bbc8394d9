import { isKeelError, KeelError } from '@keel/core';
import type {
  SagaClaimRequest,
  SagaCreateResult,
  SagaQuery,
  SagaRecord,
  SagaStore,
} from '../store/sagaStore.js';

/** The code of {@link SimulatedCrashError}. */
export const SIMULATED_CRASH_CODE = 'SAGA_SIMULATED_CRASH';

/** Thrown by a {@link CrashingSagaStore} once its process has "crashed". */
export class SimulatedCrashError extends KeelError {
  constructor(write: number) {
    super(
      SIMULATED_CRASH_CODE,
      `Simulated crash at store write #${write}; build a new orchestrator and recover().`,
      {
        details: { write },
      },
    );
  }
}

/** Whether `value` is a {@link SimulatedCrashError}. */
export function isSimulatedCrashError(value: unknown): value is SimulatedCrashError {
  return isKeelError(value, SIMULATED_CRASH_CODE);
}

/** When a {@link CrashingSagaStore} crashes. */
export interface CrashPlan {
  /** The 1-based number of the write (`create` or `save`) at which the crash happens. */
  readonly atWrite: number;
  /**
   * `before`: the write is lost; `after`: the write is stored but the caller never learns it.
   * @default 'before'
   */
  readonly mode?: 'before' | 'after';
}

/**
 * Wraps a {@link SagaStore} as seen by one process that dies at a chosen write: from then on
 * every call through this wrapper throws {@link SimulatedCrashError}, while the inner store
 * keeps what was written. Discard the orchestrator, build a new one on the inner store and
 * `recover()` to test crash recovery at every boundary.
 *
 * @example
 * ```ts
 * const crashing = new CrashingSagaStore(store, { atWrite: 3, mode: 'after' });
 * await new SagaOrchestrator(crashing, [saga], { clock }).start('order', input).catch(() => {});
 * await clock.tickAsync(leaseMs);
 * await new SagaOrchestrator(store, [saga], { clock }).recover();
 * ```
 */
export class CrashingSagaStore implements SagaStore {
  readonly #inner: SagaStore;
  readonly #plan: CrashPlan | undefined;
  #writes = 0;
  #crashed = false;

  /** @param plan When to crash; without one the wrapper only counts writes. */
  constructor(inner: SagaStore, plan?: CrashPlan) {
    this.#inner = inner;
    this.#plan = plan;
  }

  /** How many writes went through (a dry run without a plan tells how many boundaries there are). */
  get writes(): number {
    return this.#writes;
  }

  /** Whether the simulated process has crashed. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Crashes the simulated process now: every later call through this wrapper throws. */
  crash(): void {
    this.#crashed = true;
  }

  create(record: SagaRecord): Promise<SagaCreateResult> {
    return this.#write(() => this.#inner.create(record));
  }

  get(sagaId: string): Promise<SagaRecord | undefined> {
    return this.#read(() => this.#inner.get(sagaId));
  }

  save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    return this.#write(() => this.#inner.save(record, expectedVersion));
  }

  tryAcquireLease(
    sagaId: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<SagaRecord | undefined> {
    return this.#read(() => this.#inner.tryAcquireLease(sagaId, owner, until, now));
  }

  renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    return this.#read(() => this.#inner.renewLease(sagaId, owner, until));
  }

  releaseLease(sagaId: string, owner: string): Promise<void> {
    return this.#read(() => this.#inner.releaseLease(sagaId, owner));
  }

  claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    return this.#read(() => this.#inner.claimUnfinished(request));
  }

  list(query?: SagaQuery): Promise<SagaRecord[]> {
    return this.#read(() => this.#inner.list(query));
  }

  async #read<T>(call: () => Promise<T>): Promise<T> {
    if (this.#crashed) throw new SimulatedCrashError(this.#writes);
    return call();
  }

  async #write<T>(call: () => Promise<T>): Promise<T> {
    if (this.#crashed) throw new SimulatedCrashError(this.#writes);
    const number = ++this.#writes;
    if (this.#plan?.atWrite !== number) return call();
    this.#crashed = true;
    if (this.#plan.mode === 'after') await call();
    throw new SimulatedCrashError(number);
  }
}
