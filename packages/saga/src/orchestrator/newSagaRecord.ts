import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { SagaLease, SagaRecord } from '../store/sagaStore.js';
import { traceToStore } from './sagaTelemetry.js';

/**
 * The record of a saga about to start: running, leased to its starter (or unleased, for any
 * worker to claim), deadline made absolute, the active trace context kept in its first history
 * entry.
 */
export function newSagaRecord(
  definition: AnySagaDefinition,
  sagaId: string,
  input: unknown,
  now: number,
  lease: SagaLease | undefined,
): SagaRecord {
  const trace = traceToStore();
  return {
    sagaId,
    sagaName: definition.name,
    status: 'running',
    input,
    history: [{ type: 'sagaStarted', at: now, ...(trace === undefined ? {} : { trace }) }],
    createdAt: now,
    updatedAt: now,
    ...(definition.deadlineMs === undefined ? {} : { deadlineAt: now + definition.deadlineMs }),
    version: 1,
    ...(lease === undefined ? {} : { lease }),
  };
}
