import { ConcurrencyError, NotFoundError, storableCopy } from '@keel/core';
import { assertLeaseTimes } from './leaseTimes.js';
import type {
  SagaClaimCursor,
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

/** Compares by Unicode code point, as PostgreSQL's "C" collation orders saga ids. */
function compareIds(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const difference = left[index]!.codePointAt(0)! - right[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function compareAge(a: SagaClaimCursor, b: SagaClaimCursor): number {
  return a.createdAt - b.createdAt || compareIds(a.sagaId, b.sagaId);
}

const byAge = (a: SagaRecord, b: SagaRecord): number => compareAge(a, b);

/**
 * The record as every store keeps it: its values through core's `storableCopy` (what the
 * PostgreSQL store refuses is refused here with the same `SerializationError`, before anything
 * is written; what JSON changes comes back changed), so code tested in memory works there.
 */
function storable(record: SagaRecord): SagaRecord {
  const what = `saga "${record.sagaId}"`;
  const input = storableCopy(record.input, `the input of ${what}`);
  const history = storableCopy(record.history, `the history of ${what}`);
  const error = storableCopy(record.error, `the error of ${what}`);
  const { input: _input, error: _error, ...rest } = record;
  return {
    ...rest,
    input,
    history,
    ...(error === undefined ? {} : { error }),
  } as SagaRecord;
}

/** A copy to hand out, so a caller mutating it never changes what is stored. */
const copy = (record: SagaRecord): SagaRecord => structuredClone(record);

function leaseIsFree(record: SagaRecord, now: number): boolean {
  return record.lease === undefined || record.lease.until <= now;
}

/**
 * A {@link SagaStore} in memory, for tests and prototypes. It accepts, refuses and changes
 * values exactly as the PostgreSQL store does: input, history and error go through core's
 * `storableCopy` on every write (a NUL character, a lone surrogate or a BigInt is refused with a
 * `SerializationError` before anything changes; a `Date` comes back as its ISO string), a lease
 * time that is not a finite number is refused with a `ValidationError`, records
 * are copied out on every read, and every call yields once so concurrent callers interleave as
 * they would against a server.
 *
 * @example
 * ```ts
 * const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [orderSaga]);
 * ```
 */
export class InMemorySagaStore implements SagaStore {
  readonly #records = new Map<string, SagaRecord>();

  async create(record: SagaRecord): Promise<SagaCreateResult> {
    if (record.lease !== undefined)
      assertLeaseTimes(`lease of saga "${record.sagaId}"`, { until: record.lease.until });
    const stored: SagaRecord = { ...storable(record), version: 1 };
    await tick();
    const existing = this.#records.get(record.sagaId);
    if (existing !== undefined) return { created: false, record: copy(existing) };
    this.#records.set(record.sagaId, stored);
    return { created: true, record: copy(stored) };
  }

  async get(sagaId: string): Promise<SagaRecord | undefined> {
    await tick();
    const record = this.#records.get(sagaId);
    return record === undefined ? undefined : copy(record);
  }

  async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    const { lease: _ignored, ...state } = storable(record);
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
    const stored: SagaRecord = {
      ...state,
      sagaId: current.sagaId,
      sagaName: current.sagaName,
      createdAt: current.createdAt,
      version: expectedVersion + 1,
      ...(current.lease === undefined ? {} : { lease: current.lease }),
    };
    this.#records.set(record.sagaId, stored);
    return copy(stored);
  }

  async tryAcquireLease(
    sagaId: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<SagaRecord | undefined> {
    assertLeaseTimes(`lease of saga "${sagaId}"`, { until, now });
    await tick();
    const current = this.#records.get(sagaId);
    if (current === undefined || isFinalSagaStatus(current.status) || !leaseIsFree(current, now))
      return undefined;
    return copy(this.#lease(current, owner, until));
  }

  async renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    assertLeaseTimes(`lease of saga "${sagaId}"`, { until });
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
    assertLeaseTimes('claim of unfinished sagas', { until: request.until, now: request.now });
    await tick();
    const names = request.sagaNames === undefined ? undefined : new Set(request.sagaNames);
    const { after } = request;
    const free = [...this.#records.values()]
      .filter((record) => !isFinalSagaStatus(record.status) && leaseIsFree(record, request.now))
      .filter((record) => names === undefined || names.has(record.sagaName))
      .filter((record) => after === undefined || compareAge(record, after) > 0)
      .sort(byAge)
      .slice(0, Math.max(0, request.limit));
    return free.map((record) => copy(this.#lease(record, request.owner, request.until)));
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
    return (query.limit === undefined ? matches : matches.slice(0, Math.max(0, Math.floor(query.limit)))).map(
      copy,
    );
  }

  #lease(record: SagaRecord, owner: string, until: number): SagaRecord {
    const leased: SagaRecord = { ...record, lease: { owner, until }, version: record.version + 1 };
    this.#records.set(record.sagaId, leased);
    return leased;
  }
}
