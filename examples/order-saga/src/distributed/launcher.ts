import { fileURLToPath } from 'node:url';
import {
  assertOptions,
  CancelledError,
  isTimeoutError,
  KeelError,
  linkedAbortController,
  optionClock,
  optionFunction,
  optionNumber,
  optionString,
  systemClock,
  TimeoutError,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { createRunConfig, DistributedRun } from './distributedRun.js';
import { narrate, reportVerdict } from './narration.js';
import type { DeliveryReport } from './runConfig.js';
import { hostOf, serverUrls, unreachableServers } from './servers.js';
import { verifyRun } from './verify.js';
import type { PlannedOrder, RunVerdict } from './verify.js';

/** The orders of a run: the first four before the crash, the last two while inventory is down. */
export const ORDER_PLAN: readonly PlannedOrder[] = Object.freeze([
  { orderId: 'o-1', sku: 'kettle', quantity: 1, amount: 40, expect: 'confirmed', why: 'paid' },
  { orderId: 'o-2', sku: 'lamp', quantity: 2, amount: 1_500, expect: 'cancelled', why: 'card declined' },
  { orderId: 'o-3', sku: 'kettle', quantity: 2, amount: 80, expect: 'confirmed', why: 'paid' },
  { orderId: 'o-4', sku: 'lamp', quantity: 9, amount: 270, expect: 'cancelled', why: 'out of stock' },
  { orderId: 'o-5', sku: 'kettle', quantity: 1, amount: 45, expect: 'confirmed', why: 'paid' },
  { orderId: 'o-6', sku: 'lamp', quantity: 1, amount: 1_200, expect: 'cancelled', why: 'card declined' },
]);

/** Inventory holds (and is killed) right after committing its 2nd message: OrderPlaced o-2. */
const HOLD_AFTER = 2;

/** The stable code of {@link InvariantViolationError}. */
export const INVARIANT_VIOLATED = 'ORDER_SAGA_INVARIANT_VIOLATED';

/** A distributed run ended with a broken invariant: something was lost or applied twice. */
export class InvariantViolationError extends KeelError {
  constructor(violations: readonly string[]) {
    super(
      INVARIANT_VIOLATED,
      `The distributed run broke ${violations.length} invariant(s): ${violations.join('; ')}. See the narration above.`,
      { details: { violations } },
    );
  }
}

/** Options of {@link runDistributed}; an option that is `undefined` keeps its default. */
export interface DistributedOptions {
  /** The PostgreSQL server. @default KEEL_PG_URL, else postgres://postgres@127.0.0.1:5432/test */
  pgUrl?: string | undefined;
  /** The NATS server with JetStream. @default KEEL_NATS_URL, else nats://127.0.0.1:4222 */
  natsUrl?: string | undefined;
  /** The whole run (start, orders, crash, restart, settling, checks) must end within this, in ms. @default 90_000 */
  timeoutMs?: number | undefined;
  /** Where the narration goes. @default console.log */
  say?: ((line: string) => void) | undefined;
  /** The clock of the timeout and of the polling waits. @default systemClock */
  clock?: Clock | undefined;
  /** Stops the run (the services are stopped and everything is cleaned up). */
  signal?: AbortSignal | undefined;
}

/** What a run did and found. */
export interface DistributedResult {
  readonly runId: string;
  /** Every message a service received, in arrival order. */
  readonly deliveries: readonly DeliveryReport[];
  /** The process killed with SIGKILL, and the message it had committed but not acknowledged. */
  readonly killed: { readonly pid: number; readonly type: string; readonly orderId: string };
  /** The pid of inventory after its restart. */
  readonly restartedPid: number;
  readonly verdict: RunVerdict;
  /** Problems while cleaning up (a schema not dropped, a stream not deleted); normally empty. */
  readonly cleanupProblems: readonly string[];
}

/**
 * The distributed variant: orders, inventory and payments run as three Node.js processes, each
 * with its own PostgreSQL schema (an outbox for what it publishes, an inbox for what it
 * consumes), talking only through events on NATS JetStream. The storefront sends six orders;
 * inventory is killed with SIGKILL right after committing a message it had not acknowledged,
 * two orders arrive while it is down, and it is restarted. Then the databases are checked.
 * The run's schemas and streams are removed at the end, whatever happened.
 *
 * @returns What happened; `verdict.violations` lists every broken invariant (normally none).
 * @throws {TimeoutError} when the run takes longer than `timeoutMs`, saying what it waited for.
 * @throws {ValidationError} when an option is out of range.
 */
export async function runDistributed(options: DistributedOptions = {}): Promise<DistributedResult> {
  const defaults = { ...serverUrls(), timeoutMs: 90_000, say: console.log as (line: string) => void };
  const settings = withDefaults({ ...defaults, clock: systemClock as Clock }, options);
  assertOptions('runDistributed', {
    pgUrl: optionString(settings.pgUrl),
    natsUrl: optionString(settings.natsUrl),
    timeoutMs: optionNumber(settings.timeoutMs, { min: 1 }),
    say: optionFunction(settings.say),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
  });
  const { say, clock, timeoutMs } = settings;
  const deadline = linkedAbortController(options.signal);
  const timer = clock.setTimeout(() => deadline.abort(new TimeoutError(timeoutMs)), timeoutMs);
  const run = new DistributedRun(createRunConfig(settings), {
    signal: deadline.signal,
    fail: (error) => deadline.abort(error),
    clock,
    onReport: narrate(say),
  });
  const close = async (): Promise<string[]> => {
    const problems = await run.close();
    for (const problem of problems) say(`  cleanup: ${problem}`);
    return problems;
  };
  try {
    const result = await scenario(run, say);
    return { ...result, cleanupProblems: await close() };
  } catch (error) {
    const stage = run.stage;
    await close();
    // Only our own deadline becomes the timeout error; a caller's abort or a dead service stays as is.
    const ownDeadline = deadline.signal.aborted && !options.signal?.aborted;
    if (!ownDeadline || !isTimeoutError(deadline.signal.reason)) throw error;
    throw new TimeoutError(timeoutMs, {
      operation: `The distributed order saga (${stage})`,
      cause: error,
      details: { runId: run.config.runId, stage },
    });
  } finally {
    timer.cancel();
    deadline.dispose();
  }
}

async function scenario(
  run: DistributedRun,
  say: (line: string) => void,
): Promise<Omit<DistributedResult, 'cleanupProblems'>> {
  const { config } = run;
  say('\n=== Distributed choreography: three processes, events over NATS JetStream ===');
  say(`  PostgreSQL ${hostOf(config.pgUrl, 5432)}, schemas ${Object.values(config.schemas).join(', ')}`);
  say(`  NATS ${hostOf(config.natsUrl, 4222)}, stream ${config.stream} (subjects ${config.subjectPrefix}.>)`);
  await run.open();
  const starting = Promise.all([
    run.start('orders'),
    run.start('inventory', HOLD_AFTER),
    run.start('payments'),
  ]);
  run.stage = 'waiting for orders, inventory and payments to start';
  const [orders, inventory, payments] = await starting;
  say(
    `  started orders (pid ${orders.pid}), inventory (pid ${inventory.pid}), payments (pid ${payments.pid})`,
  );

  const held = run.holding('inventory');
  await send(run, say, ORDER_PLAN.slice(0, 4), '');
  const committed = await held;
  await run.kill('inventory');
  say(
    `  ✖ SIGKILL inventory (pid ${inventory.pid}) with ${committed.type} ${committed.orderId} committed, not acknowledged`,
  );

  await send(run, say, ORDER_PLAN.slice(4), ' while inventory is down');
  await run.waitUntil('waiting for orders to accept every order', async () => {
    return (await run.ordersRecorded()) === ORDER_PLAN.length;
  });
  const restarted = await run.start('inventory');
  say(`  ↻ inventory restarted (pid ${restarted.pid}): it resumes from its durable consumers`);
  await run.waitUntil('waiting for every order to settle', () => run.settled(ORDER_PLAN));

  run.stage = 'checking the invariants';
  const verdict = await verifyRun(run.client, config, ORDER_PLAN, run.sent, await run.deadLetters());
  reportVerdict(say, ORDER_PLAN, verdict, run.deliveries);
  return {
    runId: config.runId,
    deliveries: run.deliveries,
    killed: { pid: inventory.pid, ...committed },
    restartedPid: restarted.pid,
    verdict,
  };
}

async function send(
  run: DistributedRun,
  say: (line: string) => void,
  orders: readonly PlannedOrder[],
  note: string,
) {
  say(`  storefront sends ${orders.map((order) => order.orderId).join(', ')}${note}`);
  await run.send(orders);
}

/** Throws when `result` broke an invariant. @throws {InvariantViolationError} */
export function assertNoViolations(result: DistributedResult): void {
  if (result.verdict.violations.length > 0) throw new InvariantViolationError(result.verdict.violations);
}

/**
 * What `pnpm start` runs after the single-process variants: the distributed variant when
 * PostgreSQL and NATS both accept connections, else one line saying it is skipped and why.
 *
 * @returns The run's result, or `undefined` when it was skipped.
 * @throws {InvariantViolationError} when the run broke an invariant.
 */
export async function runDistributedIfReachable(
  options: DistributedOptions = {},
): Promise<DistributedResult | undefined> {
  const say = options.say ?? console.log;
  const urls = serverUrls();
  const reason = await unreachableServers({
    pgUrl: options.pgUrl ?? urls.pgUrl,
    natsUrl: options.natsUrl ?? urls.natsUrl,
  });
  if (reason !== undefined) {
    say(
      `\nDistributed choreography skipped: ${reason}; start both servers, then run pnpm start:distributed.`,
    );
    return undefined;
  }
  const result = await runDistributed(options);
  assertNoViolations(result);
  return result;
}

/**
 * A signal that aborts on Ctrl-C (SIGINT), so an interrupted run still stops its services,
 * drops its schemas and deletes its stream before the process ends.
 */
export function abortOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () =>
    controller.abort(new CancelledError('Interrupted (SIGINT); the run was cleaned up.')),
  );
  return controller.signal;
}

// `pnpm start:distributed`: the distributed variant only; fails when a server is missing.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = await unreachableServers(serverUrls());
  try {
    if (reason !== undefined) {
      throw new Error(
        `Cannot run the distributed order saga: ${reason}. Start PostgreSQL and NATS (with JetStream), or point KEEL_PG_URL and KEEL_NATS_URL at them.`,
      );
    }
    assertNoViolations(await runDistributed({ signal: abortOnInterrupt() }));
  } catch (error) {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
