import type { Clock, Logger } from '@keel/core';
import { createLogger, systemClock, withSpan } from '@keel/core';
import type { SagaOutcome, SagaStatusView } from '@keel/saga';
import { SagaOrchestrator } from '@keel/saga';
import type { SagaStore } from '@keel/saga';
import { CrashableStore } from './crashableStore.js';
import type { Infrastructure } from './infrastructure.js';
import { placeOrderSaga } from './orderSaga.js';
import type { Journal, Services } from './services.js';
import { createServices } from './services.js';

/** The order every scenario places (with its own id). */
export const sampleOrder = (orderId: string) => ({ orderId, sku: 'KEEL-BOOK', quantity: 2, amount: 59.9 });

/** What a scenario produced, for the narration and the smoke test. */
export interface OrchestratedResult {
  readonly outcome: SagaOutcome;
  readonly status: SagaStatusView | undefined;
  readonly services: Services;
}

/**
 * The request that places an order. A saga is usually started from one (an HTTP request, a
 * command handler); this span stands for it. A saga stores the trace context active when it
 * starts, so a run that another worker recovers after a crash continues the same trace.
 * Without telemetry installed `withSpan` just calls `start`.
 */
function checkout<TResult>(start: () => Promise<TResult>): Promise<TResult> {
  return withSpan('checkout', {}, start);
}

/** Step errors reach the logger you inject; here it prints warnings and errors in one line each. */
function journalLogger(say: Journal): Logger {
  return createLogger(
    (entry) => say(`    log.${entry.level}: ${entry.message} (step ${String(entry.fields.step ?? '-')})`),
    { level: 'warn' },
  );
}

/** Prints the orchestrator's observability events as they happen. */
function narrate(orchestrator: SagaOrchestrator, say: Journal): void {
  orchestrator.onStepStarted(({ step, attempt }) =>
    say(`  → ${step}${attempt > 1 ? ` (started again after a restart, same idempotency key)` : ''}`),
  );
  orchestrator.onStepCompleted(({ step }) => say(`  ✓ ${step}`));
  orchestrator.onStepFailed(({ step, error }) => say(`  ✗ ${step} failed: ${error.message}`));
  orchestrator.onCompensating(() => say('  ↺ compensating the completed steps in reverse order'));
  orchestrator.on('compensationCompleted', ({ step }) => say(`  ↺ undid ${step}`));
  orchestrator.onSagaFinished(({ status }) => say(`  ■ saga ${status}`));
}

function orchestrator(
  store: ConstructorParameters<typeof SagaOrchestrator>[0],
  services: Services,
  say: Journal,
  owner: string,
  clock: Clock,
) {
  const created = new SagaOrchestrator(store, [placeOrderSaga(services, clock)], {
    owner,
    clock,
    leaseMs: 200,
    logger: journalLogger(say),
  });
  narrate(created, say);
  return created;
}

/** A successful order; the payment service has a brief outage that the retry policy absorbs. */
export async function successfulOrder(
  say: Journal,
  infrastructure: Infrastructure,
  clock: Clock = systemClock,
): Promise<OrchestratedResult & { readonly again: SagaOutcome }> {
  const services = createServices(say);
  services.payments.outages = 1;
  const sagas = orchestrator(infrastructure.sagaStore(), services, say, 'worker-1', clock);
  const outcome = await checkout(() =>
    sagas.start('place-order', sampleOrder('o-1'), { sagaId: 'order-o-1' }),
  );
  const again = await checkout(() => sagas.start('place-order', sampleOrder('o-1'), { sagaId: 'order-o-1' }));
  say(`  start() again with sagaId "order-o-1" → ${again.status}; nothing ran twice`);
  return { outcome, again, status: await sagas.status('order-o-1'), services };
}

/** The card is declined: the reservation and the order are undone, newest first. */
export async function paymentFailure(
  say: Journal,
  infrastructure: Infrastructure,
  clock: Clock = systemClock,
): Promise<OrchestratedResult> {
  const services = createServices(say);
  services.payments.decline = true;
  const sagas = orchestrator(infrastructure.sagaStore(), services, say, 'worker-1', clock);
  const outcome = await checkout(() =>
    sagas.start('place-order', sampleOrder('o-2'), { sagaId: 'order-o-2' }),
  );
  return { outcome, status: await sagas.status('order-o-2'), services };
}

/**
 * Worker A dies right after the payment was charged, before it could record that. The database
 * connection is closed and reopened (when durable), so only stored state survives. Worker B, a
 * new orchestrator, recovers the saga from the database once A's lease expired: it runs the
 * payment step again with the same idempotency key (no second charge) and finishes.
 */
export async function crashAndRecover(
  say: Journal,
  infrastructure: Infrastructure,
  clock: Clock = systemClock,
): Promise<OrchestratedResult & { readonly midway: SagaStatusView | undefined }> {
  const services = createServices(say);
  const processA = new CrashableStore(infrastructure.sagaStore());
  services.payments.afterCharge = () => {
    services.payments.afterCharge = undefined;
    processA.pullThePlug();
    say('  💥 worker-a crashed right after the card was charged, before recording it');
  };
  const workerA = orchestrator(processA, services, say, 'worker-a', clock);
  await checkout(() => workerA.start('place-order', sampleOrder('o-3'), { sagaId: 'order-o-3' })).catch(
    (error: Error) => {
      say(`  worker-a's start() rejected: ${error.message}`);
    },
  );
  const midway = await statusOf(infrastructure.sagaStore(), 'order-o-3');
  say(
    `  in the database: ${midway?.status}, step "${midway?.currentStep}" started, lease held by ${midway?.lease?.owner}`,
  );
  if (infrastructure.durable) {
    await infrastructure.reconnect();
    say('  the database connection was closed and opened again: only what was stored survives');
  }
  await clock.sleep(250); // worker-a's lease (200 ms) runs out
  say('  worker-b starts on the database and calls recover()');
  const workerB = orchestrator(infrastructure.sagaStore(), services, say, 'worker-b', clock);
  const report = await workerB.recover();
  const outcome = report.outcomes[0]!;
  say(`  payments applied: ${services.payments.applied} (charged once despite the re-run)`);
  return { outcome, status: await workerB.status('order-o-3'), services, midway };
}

/** What an operator's dashboard would show: a status read needs no saga definitions. */
function statusOf(database: SagaStore, sagaId: string): Promise<SagaStatusView | undefined> {
  return new SagaOrchestrator(database, []).status(sagaId);
}
