import type { LinkedAbortController } from '@keel/core';
import { abortReason, isCancelledError } from '@keel/core';
import type { AnySagaDefinition } from '../definition/defineSaga.js';
import { isSagaLeaseLostError, SagaLeaseLostError } from '../errors/errors.js';
import type { SagaOutcome } from '../orchestrator/sagaOutcome.js';
import { outcomeOf } from '../orchestrator/sagaOutcome.js';
import type { SagaRecord } from '../store/sagaStore.js';
import type { SagaRunDeps } from './sagaRun.js';
import { SagaRun } from './sagaRun.js';

/** What a leased run needs: the run's dependencies plus the lease timings. */
export interface LeasedRunDeps extends SagaRunDeps {
  readonly leaseMs: number;
  readonly renewEveryMs: number;
}

/** Drops this owner's lease, logging (not throwing) when the store is unreachable. */
export async function releaseLease(deps: LeasedRunDeps, sagaId: string): Promise<void> {
  try {
    await deps.store.releaseLease(sagaId, deps.owner);
  } catch (error) {
    deps.logger.warn('Could not release a saga lease; it will expire', { sagaId, error });
  }
}

async function renew(deps: LeasedRunDeps, sagaId: string, control: LinkedAbortController): Promise<void> {
  try {
    const held = await deps.store.renewLease(sagaId, deps.owner, deps.clock.now() + deps.leaseMs);
    if (!held) control.abort(new SagaLeaseLostError(sagaId, deps.owner));
  } catch (error) {
    deps.logger.warn('Could not renew a saga lease; will retry', { sagaId, owner: deps.owner, error });
  }
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
 * when it turns out to be lost), logs why a run stopped, and releases the lease at the end.
 */
export async function runLeased(
  deps: LeasedRunDeps,
  definition: AnySagaDefinition,
  record: SagaRecord,
  control: LinkedAbortController,
): Promise<SagaOutcome> {
  const heartbeat = deps.clock.setInterval(
    () => void renew(deps, record.sagaId, control),
    deps.renewEveryMs,
    {
      keepAlive: false,
    },
  );
  try {
    return outcomeOf(await new SagaRun(deps, definition, record, control.signal).run());
  } catch (error) {
    const reason = control.signal.aborted ? abortReason(control.signal) : error;
    logStop(deps, record, reason);
    throw reason;
  } finally {
    heartbeat.cancel();
    await releaseLease(deps, record.sagaId);
  }
}
