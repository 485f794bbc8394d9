import type { Clock } from '@keel/core';
import { defineSaga, SagaOrchestrator } from '@keel/saga';
import type { SagaStore } from '@keel/saga';

/** Test helper: a two-step saga whose steps count how often each idempotency key ran. */
export function countingSaga() {
  const runs = new Map<string, number>();
  const count = async ({ idempotencyKey }: { idempotencyKey: string }) => {
    runs.set(idempotencyKey, (runs.get(idempotencyKey) ?? 0) + 1);
    await new Promise((resolve) => setImmediate(resolve));
    return idempotencyKey;
  };
  const saga = defineSaga('order')
    .input<{ orderId: string }>()
    .step('reserve', { run: count })
    .step('pay', { run: count });
  return { saga, runs };
}

/** Test helper: an orchestrator for {@link countingSaga} on `store`. */
export function orchestratorFor(
  store: SagaStore,
  saga: ReturnType<typeof countingSaga>['saga'],
  clock: Clock,
  owner: string,
) {
  return new SagaOrchestrator(store, [saga], { clock, owner, leaseMs: 1_000 });
}
