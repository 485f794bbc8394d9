import { ConcurrencyError, NotFoundError } from '@keel/core';
import type {
  SagaClaimRequest,
  SagaCreateResult,
  SagaQuery,
  SagaRecord,
  SagaStatus,
  SagaStore,
} from './sagaStore.js';
import { isFinalSagaStatus } from './sagaStore.js';

/** Lets other pending promise callbacks run first, as a round trip to a real database would. */
const tick = (): Promise<void> => Promise.resolve();

function byAge(a: SagaRecord, b: SagaRecord): number {
  return a.createdAt - b.createdAt || (a.sagaId < b.sagaId ? -1 : a.sagaId > b.sagaId ? 1 : 0);
}

function leaseIsFree(record: SagaRecord, now: number): boolean {
  return record.lease === undefined || record.lease.until <= now;
}

/**
 * A {@link SagaStore} in memory, for tests and prototypes. Records are deep-copied in and out
 * (`structuredClone`), so a non-serializable output fails here as it would in a database, and
 * every call yields once so concurrent callers interleave as they would against a server.
 *
 * @example
 * ```ts
 * const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [orderSaga]);
 * ```
 */
export class InMemorySagaStore implements SagaStore {
  readonly #records = new Map<string, SagaRecord>();

  async create(record: SagaRecord): Promise<SagaCreateResult> {
    await tick();
    const existing = this.#records.get(record.sagaId);
    if (existing !== undefined) return { created: false, record: structuredClone(existing) };
    const stored: SagaRecord = structuredClone({ ...record, version: 1 });
    this.#records.set(record.sagaId, stored);
    return { created: true, record: structuredClone(stored) };
  }

  async get(sagaId: string): Promise<SagaRecord | undefined> {
    await tick();
    const record = this.#records.get(sagaId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    await tick();
    const current = this.#records.get(record.sagaId);
    if (current === undefined) throw new NotFoundError('Saga', record.sagaId);
    if (current.version !== expectedVersion) {
      throw new ConcurrencyError({
        subject: `saga ${record.sagaId}`,
        expected: expectedVersion,
        actual: current.version,
      });
    }
    const { lease: _ignored, ...state } = record;
    const stored: SagaRecord = structuredClone({
      ...state,
      sagaId: current.sagaId,
      sagaName: current.sagaName,
      createdAt: current.createdAt,
      version: expectedVersion + 1,
      ...(current.lease === undefined ? {} : { lease: current.lease }),
    });
    this.#records.set(record.sagaId, stored);
    return structuredClone(stored);
  }

  async tryAcquireLease(
    sagaId: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<SagaRecord | undefined> {
    await tick();
    const current = this.#records.get(sagaId);
    if (current === undefined || isFinalSagaStatus(current.status) || !leaseIsFree(current, now))
      return undefined;
    return structuredClone(this.#lease(current, owner, until));
  }

  async renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    await tick();
    const current = this.#records.get(sagaId);
    if (current?.lease?.owner !== owner) return false;
    this.#records.set(sagaId, { ...current, lease: { owner, until } });
    return true;
  }

  async releaseLease(sagaId: string, owner: string): Promise<void> {
    await tick();
    const current = this.#records.get(sagaId);
    if (current?.lease?.owner !== owner) return;
    const { lease: _released, ...rest } = current;
    this.#records.set(sagaId, rest);
  }

  async claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    await tick();
    const names = request.sagaNames === undefined ? undefined : new Set(request.sagaNames);
    const free = [...this.#records.values()]
      .filter((record) => !isFinalSagaStatus(record.status) && leaseIsFree(record, request.now))
      .filter((record) => names === undefined || names.has(record.sagaName))
      .sort(byAge)
      .slice(0, Math.max(0, request.limit));
    return free.map((record) => structuredClone(this.#lease(record, request.owner, request.until)));
  }

  async list(query: SagaQuery = {}): Promise<SagaRecord[]> {
    await tick();
    const statuses: ReadonlySet<SagaStatus> | undefined =
      query.status === undefined
        ? undefined
        : new Set(typeof query.status === 'string' ? [query.status] : query.status);
    const matches = [...this.#records.values()]
      .filter((record) => statuses === undefined || statuses.has(record.status))
      .filter((record) => query.sagaName === undefined || record.sagaName === query.sagaName)
      .sort(byAge);
    return structuredClone(query.limit === undefined ? matches : matches.slice(0, query.limit));
  }

  #lease(record: SagaRecord, owner: string, until: number): SagaRecord {
    const leased: SagaRecord = { ...record, lease: { owner, until }, version: record.version + 1 };
    this.#records.set(record.sagaId, leased);
    return leased;
  }
}
