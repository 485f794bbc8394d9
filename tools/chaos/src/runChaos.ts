import {
  assertOptions,
  newId,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRule,
  optionString,
  raceAbort,
  seededRandom,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { ChaosConfig } from './config.js';
import { ChaosRun } from './chaosRun.js';
import { LoadDriver } from './driver.js';
import type { DriverLedger } from './driver.js';
import { checkAudits, checkLog, checkProjections } from './logInvariants.js';
import type { LogFigures } from './logInvariants.js';
import { checkMessages } from './messageInvariants.js';
import type { MessageFigures } from './messageInvariants.js';
import { outstandingWork, waitForQuiescence } from './quiescence.js';
import { checkSagas } from './sagaInvariants.js';
import type { SagaFigures } from './sagaInvariants.js';

type Range = readonly [number, number];

/** Options of {@link runChaos}; an option that is `undefined` keeps its default. */
export interface ChaosOptions {
  /** How long workers are killed and load applied, in ms. @default 60_000 */
  durationMs?: number | undefined;
  /** Worker processes. @default 3 */
  workers?: number | undefined;
  /** Seed of the kill schedule and the load. @default a random one (printed) */
  seed?: number | undefined;
  /** Time between two kills, in ms (drawn in this range). @default [1_500, 4_000] */
  killEveryMs?: Range | undefined;
  /** Time before a killed worker is restarted, in ms (drawn in this range). @default [300, 1_500] */
  restartAfterMs?: Range | undefined;
  /** How long to wait, once the kills stop, for every piece of work to finish, in ms. @default 120_000 */
  settleTimeoutMs?: number | undefined;
  /** Parallel load loops. @default 3 */
  concurrency?: number | undefined;
  /** Saga, projection and outbox leases, in ms: a killed worker's work moves on after this. @default 3_000 */
  leaseMs?: number | undefined;
  /** How often workers poll for work, in ms. @default 500 */
  pollMs?: number | undefined;
  /** @default KEEL_PG_URL, else postgres://postgres@127.0.0.1:5432/test */
  pgUrl?: string | undefined;
  /** @default KEEL_NATS_URL, else nats://127.0.0.1:4222 */
  natsUrl?: string | undefined;
  /** Where progress lines go. @default console.log */
  say?: ((line: string) => void) | undefined;
  /** Stops the run early: the workers are killed and the schema and streams removed. */
  signal?: AbortSignal | undefined;
}

/** The defaults of {@link ChaosOptions}. */
export const CHAOS_DEFAULTS = Object.freeze({
  durationMs: 60_000,
  workers: 3,
  killEveryMs: [1_500, 4_000] as Range,
  restartAfterMs: [300, 1_500] as Range,
  settleTimeoutMs: 120_000,
  concurrency: 3,
  leaseMs: 3_000,
  pollMs: 500,
});

/** What a chaos run did and found. */
export interface ChaosResult {
  readonly seed: number;
  readonly runId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Time of the kill phase, the wait for quiescence, and the whole run, in ms. */
  readonly chaosMs: number;
  readonly settleMs: number;
  readonly totalMs: number;
  readonly kills: number;
  readonly restarts: number;
  /** Workers that exited with code 0 on SIGTERM at the end, of `workers`. */
  readonly gracefulStops: number;
  readonly appends: number;
  readonly uncertain: number;
  readonly sagas: SagaFigures;
  readonly messages: MessageFigures;
  readonly log: LogFigures;
  /** Every broken invariant (empty when all held). */
  readonly violations: readonly string[];
  /** What could not be cleaned up (normally empty). */
  readonly cleanupProblems: readonly string[];
}

function rangeProblem(range: unknown): string | undefined {
  const ok =
    Array.isArray(range) &&
    range.length === 2 &&
    range.every((value) => Number.isInteger(value) && value >= 0) &&
    (range[0] as number) <= (range[1] as number);
  return optionRule(
    ok,
    `must be [min, max] whole milliseconds with 0 <= min <= max (got ${JSON.stringify(range)}).`,
  );
}

function resolveOptions(options: ChaosOptions) {
  const defaults = {
    ...CHAOS_DEFAULTS,
    seed: Math.floor(Math.random() * 2 ** 31),
    pgUrl: process.env.KEEL_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
    natsUrl: process.env.KEEL_NATS_URL || 'nats://127.0.0.1:4222',
    say: console.log as (line: string) => void,
  };
  const { signal: _signal, ...rest } = options;
  const settings = withDefaults(defaults, rest);
  assertOptions('runChaos', {
    durationMs: optionNumber(settings.durationMs, { min: 0 }),
    workers: optionInteger(settings.workers, { min: 1, max: 16 }),
    seed: optionInteger(settings.seed, { min: 0 }),
    killEveryMs:
      rangeProblem(settings.killEveryMs) ??
      optionRule(settings.killEveryMs[1] > 0, 'must allow a pause above 0 ms.'),
    restartAfterMs: rangeProblem(settings.restartAfterMs),
    settleTimeoutMs: optionNumber(settings.settleTimeoutMs, { min: 1 }),
    concurrency: optionInteger(settings.concurrency, { min: 1, max: 64 }),
    leaseMs: optionInteger(settings.leaseMs, { min: 100 }),
    pollMs: optionInteger(settings.pollMs, { min: 10 }),
    pgUrl: optionString(settings.pgUrl),
    natsUrl: optionString(settings.natsUrl),
    say: optionFunction(settings.say),
  });
  return settings;
}

function configFor(settings: ReturnType<typeof resolveOptions>): ChaosConfig {
  const runId = `chaos_${newId().replaceAll('-', '').slice(-12)}`;
  return {
    runId,
    pgUrl: settings.pgUrl,
    natsUrl: settings.natsUrl,
    schema: runId,
    stream: runId.toUpperCase(),
    subjectPrefix: `keel_chaos.${runId}`,
    durableName: `${runId}_inbox`,
    inboxConsumer: 'chaos-inbox',
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    ackWaitMs: Math.max(1_000, settings.leaseMs),
  };
}

async function checkEverything(run: ChaosRun, ledger: DriverLedger) {
  const { client, config } = run;
  const sagas = await checkSagas(client, config.schema, ledger);
  const messages = await checkMessages(client, config.schema, ledger);
  const log = await checkLog(client, config.schema, ledger);
  const projections = await checkProjections(client, config.schema);
  const audits = await checkAudits(client, config.schema);
  const deadLetters = (await run.jsm.streams.info(`${config.stream}_DLQ`)).state.messages;
  const violations = [
    ...sagas.violations,
    ...messages.violations,
    ...log,
    ...projections,
    ...audits.violations,
    ...(deadLetters > 0 ? [`${deadLetters} message(s) were dead-lettered`] : []),
  ];
  return { violations, sagas: sagas.figures, messages: messages.figures, log: audits.figures };
}

type Settings = ReturnType<typeof resolveOptions>;
type Outcome = Omit<ChaosResult, 'totalMs' | 'cleanupProblems'>;

function loadDriver(run: ChaosRun, settings: Settings): LoadDriver {
  return new LoadDriver({
    client: run.client,
    schema: run.config.schema,
    random: seededRandom((settings.seed ^ 0x5bd1e995) >>> 0),
    concurrency: settings.concurrency,
    sagaShare: 0.3,
    failShare: 0.4,
    pauseMs: [10, 60],
    stepDelayMs: [20, 150],
    streams: 40,
  });
}

/** The phases of a run: start, load and kills, quiescence, graceful stop, checks. */
async function execute(run: ChaosRun, settings: Settings, signal: AbortSignal | undefined): Promise<Outcome> {
  const { say, seed, durationMs, killEveryMs, restartAfterMs, settleTimeoutMs } = settings;
  await run.open();
  await Promise.all(Array.from({ length: settings.workers }, (_, slot) => run.start(slot, signal)));
  say(`  ${settings.workers} workers running; load and kills start`);
  const driver = loadDriver(run, settings);
  const chaosStart = systemClock.now();
  driver.start();
  try {
    await run.chaos({ durationMs, killEveryMs, restartAfterMs, random: seededRandom(seed) }, signal);
  } finally {
    await driver.stop();
  }
  const chaosMs = systemClock.now() - chaosStart;
  say(`  kills stop after ${run.kills}; waiting for restarts and quiescence`);
  await raceAbort(run.restartsSettled(), signal);
  const settleStart = systemClock.now();
  const check = () => outstandingWork(run.client, run.jsm, run.config, driver.ledger);
  const outstanding = await waitForQuiescence(check, settleTimeoutMs, signal);
  const settleMs = systemClock.now() - settleStart;
  const gracefulStops = await run.stopAll();
  const checked = await checkEverything(run, driver.ledger);
  const { ledger } = driver;
  return {
    seed,
    runId: run.config.runId,
    settings: {
      durationMs,
      workers: settings.workers,
      killEveryMs,
      restartAfterMs,
      settleTimeoutMs,
      concurrency: settings.concurrency,
      leaseMs: settings.leaseMs,
      pollMs: settings.pollMs,
    },
    chaosMs,
    settleMs,
    kills: run.kills,
    restarts: run.restarts,
    gracefulStops,
    appends: ledger.appends.length,
    uncertain: ledger.uncertainAppends.length + ledger.uncertainSagas.length,
    sagas: checked.sagas,
    messages: checked.messages,
    log: checked.log,
    violations: [
      ...run.problems,
      ...(outstanding === undefined ? [] : [`not at rest after ${settleTimeoutMs} ms: ${outstanding}`]),
      ...checked.violations,
    ],
  };
}

/**
 * Runs the chaos test: starts `workers` worker processes on a new schema and stream, applies
 * load while killing a random worker with SIGKILL at random moments (restarting it shortly
 * after) for `durationMs`, waits for quiescence, stops the workers with SIGTERM, checks every
 * invariant and cleans up (children, schema, streams), also when something fails.
 *
 * @returns The figures and every violation found (`violations` is empty when all invariants held).
 * @throws {ValidationError} when an option is out of range; the harness's own failures (a server
 *   unreachable, a worker that never starts) are thrown as they are, after cleaning up.
 */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosResult> {
  const settings = resolveOptions(options);
  const { say } = settings;
  const run = new ChaosRun(configFor(settings), say);
  const started = systemClock.now();
  const close = async (): Promise<string[]> => {
    const problems = await run.close();
    for (const problem of problems) say(`  cleanup: ${problem}`);
    return problems;
  };
  say(
    `chaos ${run.config.runId}: seed ${settings.seed}, ${settings.workers} workers, ${settings.durationMs / 1_000} s of kills`,
  );
  let outcome: Outcome;
  try {
    throwIfAborted(options.signal);
    outcome = await execute(run, settings, options.signal);
  } catch (error) {
    await close();
    throw error;
  }
  const cleanupProblems = await close();
  return { ...outcome, totalMs: systemClock.now() - started, cleanupProblems };
}
