import type { SagaRecord } from '../store/sagaStore.js';

/** Builds a valid saga record for store tests; override any field. */
export function sagaRecordFixture(overrides: Partial<SagaRecord> & { sagaId: string }): SagaRecord {
  return {
    sagaName: 'order',
    status: 'running',
    input: { orderId: overrides.sagaId, amount: 10 },
    history: [{ type: 'sagaStarted', at: 1_000 }],
    createdAt: 1_000,
    updatedAt: 1_000,
    version: 1,
    ...overrides,
  };
}
