import type { SagaClaimCursor, SagaRecord } from '../store/sagaStore.js';
import type { SagaOutcome } from './sagaOutcome.js';

/** What one {@link SagaOrchestrator.recover} call did. */
export interface SagaRecoveryReport {
  /** The sagas this call resumed and ran to a final status. */
  readonly outcomes: readonly SagaOutcome[];
  /**
   * The sagas it resumed that stopped again (lease lost, store failure, abort or close), with
   * why. A saga that failed by itself is held back for a while (`recoverBackoffMs`) before it is
   * resumed again.
   */
  readonly interrupted: readonly { readonly sagaId: string; readonly error: unknown }[];
}

/** What a recovery pass needs from its orchestrator. */
export interface RecoverPassPorts {
  /** How many sagas run at once. */
  readonly batchSize: number;
  /** Leases up to `limit` free unfinished sagas after `after`, oldest first. */
  claim(limit: number, after: SagaClaimCursor | undefined): Promise<SagaRecord[]>;
  /** Runs a claimed saga to its outcome; rejects when it stopped. */
  resume(record: SagaRecord): Promise<SagaOutcome>;
  /** Gives back a lease this pass will not use. */
  release(record: SagaRecord): void;
}

/**
 * One recovery pass: pages forward through the unfinished sagas (a cursor moves past every
 * saga claimed, so sagas that keep failing never hold up the younger ones), running up to
 * `batchSize` at once and claiming more as they finish. Resolves when every saga it claimed has
 * stopped; on abort it claims nothing more and resolves once its runs have stopped (they are
 * reported as interrupted, with the abort reason). When `drain` aborts it also claims nothing
 * more, and its runs stop at the end of their current step. Rejects when a claim fails (store down).
 */
export async function recoverPass(
  ports: RecoverPassPorts,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<SagaRecoveryReport> {
  const outcomes: SagaOutcome[] = [];
  const interrupted: { sagaId: string; error: unknown }[] = [];
  const inFlight = new Set<Promise<void>>();
  const seen = new Set<string>();
  let cursor: SagaClaimCursor | undefined;
  let exhausted = false;
  let failure: { readonly error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const draining = (): boolean => drain?.aborted === true;

  const start = (record: SagaRecord): void => {
    const run: Promise<void> = ports
      .resume(record)
      .then(
        (outcome) => void outcomes.push(outcome),
        (error: unknown) => void interrupted.push({ sagaId: record.sagaId, error }),
      )
      .finally(() => {
        inFlight.delete(run);
        const resume = wake;
        wake = undefined;
        resume?.();
      });
    inFlight.add(run);
  };

  for (;;) {
    while (
      !exhausted &&
      failure === undefined &&
      !signal.aborted &&
      !draining() &&
      inFlight.size < ports.batchSize
    ) {
      const limit = ports.batchSize - inFlight.size;
      let claimed: SagaRecord[];
      try {
        claimed = await ports.claim(limit, cursor);
      } catch (error) {
        failure = { error };
        break;
      }
      if (claimed.length < limit) exhausted = true;
      let fresh = 0;
      for (const record of claimed) {
        // A store that ignores the cursor could hand a saga out twice; never run it twice.
        if (signal.aborted || draining() || seen.has(record.sagaId)) {
          ports.release(record);
          continue;
        }
        seen.add(record.sagaId);
        fresh++;
        cursor = { createdAt: record.createdAt, sagaId: record.sagaId };
        start(record);
      }
      if (fresh === 0) exhausted = true;
    }
    if (inFlight.size === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  if (failure !== undefined) throw failure.error;
  return { outcomes, interrupted };
}
