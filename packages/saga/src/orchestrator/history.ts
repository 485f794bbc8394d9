import type { AnySagaDefinition, SagaStep } from '../definition/defineSaga.js';
import type { SagaErrorInfo, SagaHistoryEntry, SagaRecord } from '../store/sagaStore.js';

type Entry<TType extends SagaHistoryEntry['type']> = Extract<SagaHistoryEntry, { type: TType }>;

function entriesOf<TType extends SagaHistoryEntry['type']>(record: SagaRecord, type: TType): Entry<TType>[] {
  return record.history.filter((entry): entry is Entry<TType> => entry.type === type);
}

/** The outputs of the completed steps, by step name. */
export function contextOf(record: SagaRecord): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const entry of entriesOf(record, 'stepCompleted')) context[entry.step] = entry.output;
  return context;
}

/** The outputs of the completed steps that come before `step` in the definition. */
export function contextBefore(
  definition: AnySagaDefinition,
  record: SagaRecord,
  step: string,
): Record<string, unknown> {
  const all = contextOf(record);
  const context: Record<string, unknown> = {};
  for (const earlier of definition.steps) {
    if (earlier.name === step) break;
    if (earlier.name in all) context[earlier.name] = all[earlier.name];
  }
  return context;
}

/** The first step that has not completed, or `undefined` when all have. */
export function nextStep(definition: AnySagaDefinition, record: SagaRecord): SagaStep | undefined {
  const completed = new Set(entriesOf(record, 'stepCompleted').map((entry) => entry.step));
  return definition.steps.find((step) => !completed.has(step.name));
}

/**
 * What is known of a step's effect: `completed` (with its output), `unknown` (it started and may
 * have taken effect, but no output was stored: cut off by its timeout or the deadline, stopped by
 * a crash and never finished, or its output could not be stored), `failed` (its run failed on
 * its own) or `notStarted`.
 */
export type StepEffect =
  | { readonly kind: 'completed'; readonly output: unknown }
  | { readonly kind: 'unknown' | 'failed' | 'notStarted' };

/** What the history says about `step`'s effect; see {@link StepEffect}. */
export function effectOf(record: SagaRecord, step: string): StepEffect {
  let effect: StepEffect = { kind: 'notStarted' };
  for (const entry of record.history) {
    if (!('step' in entry) || entry.step !== step) continue;
    if (entry.type === 'stepCompleted') return { kind: 'completed', output: entry.output };
    if (entry.type === 'stepStarted') effect = { kind: 'unknown' };
    if (entry.type === 'stepFailed') effect = { kind: entry.outcomeUnknown === true ? 'unknown' : 'failed' };
  }
  return effect;
}

/**
 * The next step to compensate, last first: a step with a `compensate` that completed or whose
 * outcome is unknown, and whose compensation has not completed yet.
 */
export function nextCompensation(definition: AnySagaDefinition, record: SagaRecord): SagaStep | undefined {
  const compensated = new Set(entriesOf(record, 'compensationCompleted').map((entry) => entry.step));
  return [...definition.steps].reverse().find((step) => {
    if (step.compensate === undefined || compensated.has(step.name)) return false;
    const { kind } = effectOf(record, step.name);
    return kind === 'completed' || kind === 'unknown';
  });
}

/** How many times `step` was started (or its compensation, with `compensation`). */
export function startsOf(record: SagaRecord, step: string, compensation = false): number {
  const type = compensation ? 'compensationStarted' : 'stepStarted';
  return record.history.filter((entry) => entry.type === type && entry.step === step).length;
}

/** The timeout stored when `step` first started, if any. */
export function storedTimeoutAt(record: SagaRecord, step: string): number | undefined {
  return entriesOf(record, 'stepStarted').find(
    (entry) => entry.step === step && entry.timeoutAt !== undefined,
  )?.timeoutAt;
}

/**
 * Why the saga compensates: the error of its last step failure or exceeded deadline, which stays
 * the saga's error once compensated, whatever compensations failed and were resumed meanwhile.
 */
export function compensationCauseOf(record: SagaRecord): SagaErrorInfo | undefined {
  const entry = record.history.findLast(
    (each) => each.type === 'stepFailed' || each.type === 'deadlineExceeded',
  );
  return entry !== undefined && 'error' in entry ? entry.error : undefined;
}
