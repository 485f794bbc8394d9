import type { AnySagaDefinition } from '../definition/defineSaga.js';
import type { SagaLease, SagaRecord } from '../store/sagaStore.js';

/** The record of a saga about to start: running, leased to its starter, deadline made absolute. */
export function newSagaRecord(
  definition: AnySagaDefinition,
  sagaId: string,
  input: unknown,
  now: number,
  lease: SagaLease,
): SagaRecord {
  return {
    sagaId,
    sagaName: definition.name,
    status: 'running',
    input,
    history: [{ type: 'sagaStarted', at: now }],
    createdAt: now,
    updatedAt: now,
    ...(definition.deadlineMs === undefined ? {} : { deadlineAt: now + definition.deadlineMs }),
    version: 1,
    lease,
  };
}
