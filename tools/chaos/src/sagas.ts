import { KeelError, systemClock } from '@keel/core';
import type { SagaRecord } from '@keel/saga';
import { defineSaga } from '@keel/saga';
import type { CompensationContext, StepContext } from '@keel/saga';
import { sqlSchema } from '@keel/postgres';
import type { SqlExecutor } from '@keel/postgres';

/** What the driver puts into every saga it requests. */
export interface ChaosSagaInput {
  /** The index of the step that refuses (so the saga compensates), or `null` to complete. */
  readonly failAt: number | null;
  /** How long each step and compensation takes, in ms, so kills land in the middle of them. */
  readonly delayMs: number;
}

/** The stable code of {@link StepRefusedError}. */
export const STEP_REFUSED = 'CHAOS_STEP_REFUSED';

/** A saga step refused on purpose (the driver chose it to fail), so the saga compensates. */
export class StepRefusedError extends KeelError {
  constructor(sagaId: string, step: string) {
    super(STEP_REFUSED, `Step "${step}" of saga ${sagaId} refused, as the chaos driver planned.`, {
      details: { sagaId, step },
    });
  }
}

/** The step names of each saga the harness runs, in order. */
export const SAGA_STEPS = Object.freeze({
  transfer: ['debit', 'credit', 'notify'],
  booking: ['reserve', 'charge'],
} as const);

/** The saga names the driver may request. */
export type ChaosSagaName = keyof typeof SAGA_STEPS;

type Step = StepContext<ChaosSagaInput, object>;
type Compensation = CompensationContext<ChaosSagaInput, object, unknown>;

/** The steps' side effects, written to the harness tables through their idempotency keys. */
export class SagaEffects {
  readonly #client: SqlExecutor;
  readonly #schema: ReturnType<typeof sqlSchema>;

  constructor(client: SqlExecutor, schema: string) {
    this.#client = client;
    this.#schema = sqlSchema(schema);
  }

  /** Runs step `index`: journals the call, waits, refuses if planned, then applies its effect once. */
  async run(step: string, index: number, context: Step): Promise<{ readonly step: string }> {
    await this.#journal(context, step, 'run', null);
    await systemClock.sleep(context.input.delayMs, context.signal);
    if (context.input.failAt === index) throw new StepRefusedError(context.sagaId, step);
    await this.#client.transaction(async (tx) => {
      if (await this.#claimKey(tx, context.idempotencyKey, context.sagaId, step, 'run'))
        await this.#apply(tx, context.idempotencyKey, context.sagaId, step, 'run');
    });
    return { step };
  }

  /**
   * Undoes step `step`: journals the call with the outcome the orchestrator claimed, then in one
   * transaction fences the step's own key with a tombstone (so a late run of it becomes a no-op)
   * and undoes the effect only when the step had applied one.
   */
  async compensate(step: string, context: Compensation): Promise<void> {
    await this.#journal(context, step, 'compensate', context.outcome);
    await systemClock.sleep(context.input.delayMs, context.signal);
    await this.#client.transaction(async (tx) => {
      const { sagaId, runIdempotencyKey, idempotencyKey } = context;
      if (await this.#claimKey(tx, runIdempotencyKey, sagaId, step, 'tombstone')) return; // never ran
      // A tombstone from an earlier attempt of this compensation: the step still never ran.
      if ((await this.#kindOf(tx, runIdempotencyKey)) !== 'run') return;
      if (await this.#claimKey(tx, idempotencyKey, sagaId, step, 'compensate'))
        await this.#apply(tx, idempotencyKey, sagaId, step, 'compensate');
    });
  }

  async #journal(context: Step, step: string, kind: string, claimed: string | null): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#schema.table('step_calls')}
         (idempotency_key, saga_id, step, kind, attempt, claimed_outcome, pid)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [context.idempotencyKey, context.sagaId, step, kind, context.attempt, claimed, process.pid],
    );
  }

  async #claimKey(
    tx: SqlExecutor,
    key: string,
    sagaId: string,
    step: string,
    kind: string,
  ): Promise<boolean> {
    const { rowCount } = await tx.query(
      `INSERT INTO ${this.#schema.table('effect_keys')} (idempotency_key, saga_id, step, kind)
       VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING`,
      [key, sagaId, step, kind],
    );
    return rowCount > 0;
  }

  async #kindOf(tx: SqlExecutor, key: string): Promise<string | undefined> {
    const { rows } = await tx.query<{ kind: string }>(
      `SELECT kind FROM ${this.#schema.table('effect_keys')} WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0]?.kind;
  }

  async #apply(tx: SqlExecutor, key: string, sagaId: string, step: string, kind: string): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.#schema.table('effect_log')} (idempotency_key, saga_id, step, kind, pid)
       VALUES ($1, $2, $3, $4, $5)`,
      [key, sagaId, step, kind, process.pid],
    );
  }
}

/**
 * How long a `booking` step may take, in ms: longer than any step takes, shorter than a saga lease,
 * so a step whose worker was killed mid-run is past its timeout when another worker resumes it,
 * and is compensated with an unknown outcome instead of being run again.
 */
export const BOOKING_STEP_TIMEOUT_MS = 2_000;

/**
 * The two sagas the workers run, each compensable: `transfer` (three steps, no timeouts: a step
 * interrupted by a crash runs again under its idempotency key) and `booking` (two steps with a
 * timeout: an interrupted step is compensated with an unknown outcome).
 */
export function chaosSagas(effects: SagaEffects) {
  const [debit, credit, notify] = SAGA_STEPS.transfer;
  const [reserve, charge] = SAGA_STEPS.booking;
  const step = (name: string, index: number, timeoutMs?: number) => ({
    run: (context: Step) => effects.run(name, index, context),
    compensate: (context: Compensation) => effects.compensate(name, context),
    timeoutMs,
  });
  const transfer = defineSaga('transfer')
    .input<ChaosSagaInput>()
    .step(debit, step(debit, 0))
    .step(credit, step(credit, 1))
    .step(notify, step(notify, 2));
  const booking = defineSaga('booking')
    .input<ChaosSagaInput>()
    .step(reserve, step(reserve, 0, BOOKING_STEP_TIMEOUT_MS))
    .step(charge, step(charge, 1, BOOKING_STEP_TIMEOUT_MS));
  return [transfer, booking] as const;
}

/**
 * A saga record as the driver requests it: running, unleased, so the first worker to recover
 * claims it. (This is what `SagaOrchestrator.start()` writes, minus running it in this process.)
 */
export function requestedSaga(
  sagaId: string,
  sagaName: ChaosSagaName,
  input: ChaosSagaInput,
  now: number,
): SagaRecord {
  return {
    sagaId,
    sagaName,
    status: 'running',
    input,
    history: [{ type: 'sagaStarted', at: now }],
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}
