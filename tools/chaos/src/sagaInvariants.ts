import { sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';
import type { AckedSaga, DriverLedger } from './driver.js';
import { SAGA_STEPS } from './sagas.js';

/** What the saga checks counted, for the report. */
export interface SagaFigures {
  readonly requested: number;
  readonly completed: number;
  readonly compensated: number;
  /** Calls of step `run` functions (a step re-run after a crash counts again). */
  readonly stepCalls: number;
  /** Step runs beyond the first per idempotency key: the work a crash made the workers redo. */
  readonly stepReruns: number;
  /** Effects applied (run and compensation), each through its idempotency key. */
  readonly effects: number;
  /** Compensations called for a step whose outcome was unknown (it was running when its worker died). */
  readonly unknownOutcomeCompensations: number;
}

/** The result of a group of checks: violations (empty when every invariant held) and figures. */
export interface Checked<TFigures> {
  readonly violations: string[];
  readonly figures: TFigures;
}

async function effectCounts(client: SqlExecutor, schema: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ key: string; n: number }>(
    `SELECT idempotency_key AS key, count(*)::int AS n FROM ${sqlSchema(schema).table('effect_log')} GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.key, row.n]));
}

/** The step a saga failed at, from its history, and whether that step's outcome was unknown. */
export interface FailedStep {
  readonly index: number;
  readonly outcomeUnknown: boolean;
}

/** A saga as stored: its status and the step it failed at (from `stepFailed` in its history). */
interface StoredSaga {
  readonly status: string;
  readonly failed: FailedStep | undefined;
}

function failedStepOf(
  saga: AckedSaga,
  history: readonly { type: string; step?: string; outcomeUnknown?: boolean }[],
) {
  const entry = history.find((item) => item.type === 'stepFailed');
  if (entry === undefined) return undefined;
  const index = (SAGA_STEPS[saga.sagaName] as readonly string[]).indexOf(entry.step ?? '');
  return { index, outcomeUnknown: entry.outcomeUnknown === true };
}

/**
 * The effects a saga must show, given the step it failed at: key → the allowed counts. Steps
 * before it applied and compensated once; a step failed with an unknown outcome (a timeout after
 * a crash) may have applied, and then must be compensated; nothing after it ran.
 */
function expectedEffects(
  saga: AckedSaga,
  failed: FailedStep | undefined,
): Map<string, (n: number, run: number) => boolean> {
  const expected = new Map<string, (n: number, run: number) => boolean>();
  SAGA_STEPS[saga.sagaName].forEach((step, index) => {
    const key = `${saga.sagaId}/${step}`;
    if (failed === undefined || index < failed.index) {
      expected.set(key, (n) => n === 1);
      expected.set(`${key}/compensate`, (n) => n === (failed === undefined ? 0 : 1));
    } else if (index === failed.index && failed.outcomeUnknown) {
      expected.set(key, (n) => n <= 1);
      expected.set(`${key}/compensate`, (n, run) => n === run);
    } else {
      expected.set(key, (n) => n === 0);
      expected.set(`${key}/compensate`, (n) => n === 0);
    }
  });
  return expected;
}

function checkStatus(saga: AckedSaga, stored: StoredSaga | undefined): string[] {
  const plan = saga.failAt === null ? 'to complete' : `to fail at step ${saga.failAt}`;
  const name = `saga ${saga.sagaName} ${saga.sagaId} (planned ${plan})`;
  if (stored === undefined) return [`${name} is missing`];
  const { status, failed } = stored;
  const want = saga.failAt === null && failed === undefined ? 'completed' : 'compensated';
  if (status !== want) return [`${name} is ${status}, not ${want}`];
  // Only a timeout (an unknown outcome) may fail a step other than the planned one.
  if (failed !== undefined && !failed.outcomeUnknown && failed.index !== saga.failAt)
    return [`${name} failed at step ${failed.index}`];
  return [];
}

function checkSaga(saga: AckedSaga, stored: StoredSaga | undefined, effects: Map<string, number>): string[] {
  const violations = checkStatus(saga, stored);
  for (const [key, allowed] of expectedEffects(saga, stored?.failed)) {
    const actual = effects.get(key) ?? 0;
    const run = effects.get(key.replace(/\/compensate$/, '')) ?? 0;
    if (!allowed(actual, run)) {
      violations.push(
        `effect ${key} applied ${actual} time(s)${key.endsWith('/compensate') ? ` (its step ${run})` : ''}`,
      );
    }
  }
  return violations;
}

/**
 * Every acknowledged saga ended as planned (completed, or compensated when a step refused);
 * each step's effect was applied once through its idempotency key, and compensated once exactly
 * when the step had applied it; no effect was applied twice or for an unknown saga; and the
 * orchestrator never claimed a step completed that had not applied its effect.
 */
export async function checkSagas(
  client: SqlExecutor,
  schema: string,
  ledger: DriverLedger,
): Promise<Checked<SagaFigures>> {
  const table = sqlSchema(schema);
  const { rows: sagas } = await client.query<{ saga_id: string; status: string; history: [] }>(
    `SELECT saga_id, status, history FROM ${table.table('sagas')}`,
  );
  const byId = new Map(sagas.map((row) => [row.saga_id, row]));
  const stored = (saga: AckedSaga): StoredSaga | undefined => {
    const row = byId.get(saga.sagaId);
    return row === undefined ? undefined : { status: row.status, failed: failedStepOf(saga, row.history) };
  };
  const statusOf = new Map(sagas.map((row) => [row.saga_id, row.status]));
  const effects = await effectCounts(client, schema);
  const violations = ledger.sagas.flatMap((saga) => checkSaga(saga, stored(saga), effects));
  for (const [key, times] of effects) if (times > 1) violations.push(`effect ${key} applied ${times} times`);
  const known = new Set([...ledger.sagas.map((saga) => saga.sagaId), ...ledger.uncertainSagas]);
  for (const key of effects.keys()) {
    if (!known.has(key.split('/')[0]!))
      violations.push(`effect ${key} belongs to no saga the driver requested`);
  }
  const { rows: claims } = await client.query<{ key: string }>(
    `SELECT c.idempotency_key AS key FROM ${table.table('step_calls')} c
     LEFT JOIN ${table.table('effect_keys')} k ON k.idempotency_key = split_part(c.idempotency_key, '/compensate', 1)
     WHERE c.kind = 'compensate' AND c.claimed_outcome = 'completed' AND k.kind IS DISTINCT FROM 'run'`,
  );
  for (const { key } of claims)
    violations.push(`compensation ${key} was told its step completed, but the step applied no effect`);
  return { violations, figures: await sagaFigures(client, schema, ledger, statusOf, effects) };
}

async function sagaFigures(
  client: SqlExecutor,
  schema: string,
  ledger: DriverLedger,
  statusOf: Map<string, string>,
  effects: Map<string, number>,
): Promise<SagaFigures> {
  const { rows } = await client.query<{ calls: number; keys: number; unknown: number }>(
    `SELECT count(*) FILTER (WHERE kind = 'run')::int AS calls,
            count(DISTINCT idempotency_key) FILTER (WHERE kind = 'run')::int AS keys,
            count(*) FILTER (WHERE kind = 'compensate' AND claimed_outcome = 'unknown')::int AS unknown
     FROM ${sqlSchema(schema).table('step_calls')}`,
  );
  const calls = rows[0] ?? { calls: 0, keys: 0, unknown: 0 };
  const statuses = ledger.sagas.map((saga) => statusOf.get(saga.sagaId));
  return {
    requested: ledger.sagas.length,
    completed: statuses.filter((status) => status === 'completed').length,
    compensated: statuses.filter((status) => status === 'compensated').length,
    stepCalls: calls.calls,
    stepReruns: calls.calls - calls.keys,
    effects: [...effects.values()].reduce((sum, n) => sum + n, 0),
    unknownOutcomeCompensations: calls.unknown,
  };
}
