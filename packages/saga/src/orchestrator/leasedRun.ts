import type { LinkedAbortController, Timer } from '@keel/core';
import { abortReason, isCancelledError, linkedAbortController } from '@keel/core';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import { isSagaLeaseLostError, SagaLeaseLostError } from '../errors/errors.js';
import type { SagaOutcome } from './sagaOutcome.js';
import { outcomeOf } from './sagaOutcome.js';
import type { SagaRecord } from '../store/sagaStore.js';
import type { SagaRunDeps } from './sagaRun.js';
import { SagaRun } from './sagaRun.js';

/** What a leased run needs: the run's dependencies plus the lease timings. */
export interface LeasedRunDeps extends SagaRunDeps {
  readonly leaseMs: number;
  readonly renewEveryMs: number;
}

/** How a leased run ends when it fails by itself. */
export interface LeasedRunOptions {
  /**
   * How long to keep the lease after the run failed by itself (not stopped) with `error`, so the
   * saga is not resumed again at once; `undefined` releases it.
   */
  readonly holdAfter?: (error: unknown) => number | undefined;
  /** When it aborts, the run stops at the end of its current step (see {@link RecoverSagasOptions.drain}). */
  readonly drain?: AbortSignal | undefined;
}

/** Drops this owner's lease, logging (not throwing) when the store is unreachable. */
export async function releaseLease(deps: LeasedRunDeps, sagaId: string): Promise<void> {
  try {
    await deps.store.releaseLease(sagaId, deps.owner);
  } catch (error) {
    deps.logger.warn('Could not release a saga lease; it will expire', { sagaId, error });
  }
}

async function holdLease(deps: LeasedRunDeps, sagaId: string, ms: number): Promise<void> {
  try {
    await deps.store.renewLease(sagaId, deps.owner, deps.clock.now() + ms);
  } catch (error) {
    deps.logger.warn('Could not hold back a failing saga; its lease will expire', { sagaId, error });
  }
}

/**
 * Renews the lease every `renewEveryMs` while the run goes on. A renewal that finds the lease
 * taken over aborts the run at once; renewals that fail (store unreachable) abort it when the
 * lease would run out before the next renewal could extend it, so an owner never works on a
 * saga it may no longer hold.
 */
function keepLease(deps: LeasedRunDeps, record: SagaRecord, control: LinkedAbortController): () => void {
  const { clock, store, owner, leaseMs, renewEveryMs, logger } = deps;
  const { sagaId } = record;
  let heldUntil = record.lease?.until ?? clock.now() + leaseMs;
  let stopped = false;
  let next: Timer | undefined;
  let expiry: Timer | undefined;
  const stop = (error: SagaLeaseLostError): void => {
    if (!stopped) control.abort(error);
  };
  const watchExpiry = (): void => {
    expiry?.cancel();
    // Backstop for a renewal that hangs: at expiry the lease is no longer ours for sure.
    expiry = clock.setTimeout(
      () => stop(new SagaLeaseLostError(sagaId, owner, { reason: 'notRenewed' })),
      Math.max(0, heldUntil - clock.now()),
      { keepAlive: false },
    );
  };
  const beat = async (): Promise<void> => {
    const until = clock.now() + leaseMs;
    try {
      const held = await store.renewLease(sagaId, owner, until);
      if (stopped) return;
      if (!held) return stop(new SagaLeaseLostError(sagaId, owner));
      heldUntil = until;
      watchExpiry();
    } catch (error) {
      if (stopped) return;
      if (clock.now() + renewEveryMs >= heldUntil) {
        return stop(new SagaLeaseLostError(sagaId, owner, { reason: 'notRenewed', cause: error }));
      }
      logger.warn('Could not renew a saga lease; will retry', { sagaId, owner, error });
    }
    schedule();
  };
  const schedule = (): void => {
    if (stopped) return;
    // Not tracked for close(): a renewal landing after the release changes nothing (owner check).
    next = clock.setTimeout(() => void beat(), renewEveryMs, { keepAlive: false });
  };
  watchExpiry();
  schedule();
  return () => {
    stopped = true;
    next?.cancel();
    expiry?.cancel();
  };
}

function logStop(deps: LeasedRunDeps, record: SagaRecord, error: unknown): void {
  const fields = { sagaId: record.sagaId, sagaName: record.sagaName, owner: deps.owner, error };
  if (isSagaLeaseLostError(error))
    deps.logger.warn('Saga lease lost; another orchestrator continues', fields);
  else if (isCancelledError(error)) deps.logger.info('Saga run stopped; it resumes on recover()', fields);
  else deps.logger.error('Saga run stopped by an error; it resumes on recover()', fields);
}

/**
 * Runs a saga whose lease this owner holds: renews the lease while running (aborting the run
 * when it is lost or cannot be renewed), logs why a run stopped, and releases the lease at the
 * end. Resolves as soon as the final status is stored (the release then goes on, tracked).
 */
export async function runLeased(
  deps: LeasedRunDeps,
  definition: AnySagaDefinition,
  record: SagaRecord,
  signal: AbortSignal,
  options: LeasedRunOptions = {},
): Promise<SagaOutcome> {
  const control = linkedAbortController(signal);
  const stopHeartbeat = keepLease(deps, record, control);
  try {
    const final = await new SagaRun(deps, definition, record, control.signal, options.drain).run();
    stopHeartbeat();
    deps.track(releaseLease(deps, record.sagaId));
    return outcomeOf(final);
  } catch (error) {
    stopHeartbeat();
    const stopped = control.signal.aborted;
    // Stopped between steps by a drain: not a failure of the saga, so its lease is not held back.
    const drained =
      !stopped &&
      options.drain?.aborted === true &&
      (error === options.drain.reason || isCancelledError(error));
    const reason = stopped ? abortReason(control.signal) : error;
    logStop(deps, record, reason);
    const hold = stopped || drained ? undefined : options.holdAfter?.(reason);
    if (hold === undefined) await releaseLease(deps, record.sagaId);
    else await holdLease(deps, record.sagaId, hold);
    throw reason;
  } finally {
    control.dispose();
  }
}
