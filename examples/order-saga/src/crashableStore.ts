import { KeelError } from '@keel/core';
import type { SagaClaimRequest, SagaQuery, SagaRecord, SagaStore } from '@keel/saga';

/**
 * The store as seen by one process: `pullThePlug()` makes every later call fail, as if the
 * process had died. The wrapped store (here a `PostgresSagaStore`) keeps everything written before.
 */
export class CrashableStore implements SagaStore {
  #dead = false;

  constructor(private readonly database: SagaStore) {}

  pullThePlug(): void {
    this.#dead = true;
  }

  #alive(): void {
    if (this.#dead) throw new KeelError('PROCESS_DIED', 'This process has crashed.');
  }

  async create(record: SagaRecord) {
    this.#alive();
    return this.database.create(record);
  }
  async get(sagaId: string) {
    this.#alive();
    return this.database.get(sagaId);
  }
  async save(record: SagaRecord, expectedVersion: number) {
    this.#alive();
    return this.database.save(record, expectedVersion);
  }
  async tryAcquireLease(sagaId: string, owner: string, until: number, now: number) {
    this.#alive();
    return this.database.tryAcquireLease(sagaId, owner, until, now);
  }
  async renewLease(sagaId: string, owner: string, until: number) {
    this.#alive();
    return this.database.renewLease(sagaId, owner, until);
  }
  async releaseLease(sagaId: string, owner: string) {
    this.#alive();
    return this.database.releaseLease(sagaId, owner);
  }
  async claimUnfinished(request: SagaClaimRequest) {
    this.#alive();
    return this.database.claimUnfinished(request);
  }
  async list(query?: SagaQuery) {
    this.#alive();
    return this.database.list(query);
  }
}
