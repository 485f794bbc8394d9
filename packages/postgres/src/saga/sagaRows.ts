import type { SagaErrorInfo, SagaHistoryEntry, SagaRecord, SagaStatus } from '@keel/saga';
import { fromJsonColumn, toJsonParam } from '../internal/json.js';
import { toNumber, toOptionalNumber } from '../internal/normalize.js';

/** A row of the `sagas` table. */
export interface SagaRow {
  readonly saga_id: string;
  readonly saga_name: string;
  readonly status: SagaStatus;
  readonly input: unknown;
  readonly input_is_null: boolean;
  readonly history: SagaHistoryEntry[];
  readonly error: SagaErrorInfo | null;
  readonly created_at: number | string;
  readonly updated_at: number | string;
  readonly deadline_at: number | string | null;
  readonly version: number;
  readonly lease_owner: string | null;
  readonly lease_until: number | string | null;
}

/** What SELECT and RETURNING list for a {@link SagaRow}. */
export const SAGA_SELECT = '*, input IS NULL AS input_is_null';

/** The columns in the order of {@link sagaParams}. */
export const SAGA_COLUMNS =
  'saga_id, saga_name, status, input, history, error, created_at, updated_at, deadline_at, version, lease_owner, lease_until';

/** Reads a row back as the record the store contract describes. */
export function toSagaRecord(row: SagaRow): SagaRecord {
  const deadlineAt = toOptionalNumber(row.deadline_at);
  const leaseUntil = toOptionalNumber(row.lease_until);
  return {
    sagaId: row.saga_id,
    sagaName: row.saga_name,
    status: row.status,
    input: fromJsonColumn(row.input, row.input_is_null),
    history: row.history,
    ...(row.error === null ? {} : { error: row.error }),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    ...(deadlineAt === undefined ? {} : { deadlineAt }),
    version: row.version,
    ...(row.lease_owner === null || leaseUntil === undefined
      ? {}
      : { lease: { owner: row.lease_owner, until: leaseUntil } }),
  };
}

/** The parameters `$1 … $12` for an INSERT of `record` at `version`, in {@link SAGA_COLUMNS} order. */
export function sagaParams(record: SagaRecord, version: number): unknown[] {
  return [
    record.sagaId,
    record.sagaName,
    record.status,
    toJsonParam(record.input, `the input of saga "${record.sagaId}"`),
    toJsonParam(record.history, `the history of saga "${record.sagaId}"`),
    toJsonParam(record.error, `the error of saga "${record.sagaId}"`),
    record.createdAt,
    record.updatedAt,
    record.deadlineAt ?? null,
    version,
    record.lease?.owner ?? null,
    record.lease?.until ?? null,
  ];
}
