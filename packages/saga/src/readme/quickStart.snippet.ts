import { defineSaga, InMemorySagaStore, SagaOrchestrator } from '@keel/saga';

// Your services; stand-ins here.
const inventory = {
  reserve: async (orderId: string, _key: string) => `r-${orderId}`,
  release: async (_key: string) => {},
};
const payments = { charge: async (amount: number, key: string) => `p-${amount}-${key}` };

const placeOrder = defineSaga('place-order')
  .input<{ orderId: string; amount: number }>()
  .step('reserve', {
    run: ({ input, idempotencyKey }) => inventory.reserve(input.orderId, idempotencyKey),
    compensate: ({ runIdempotencyKey }) => inventory.release(runIdempotencyKey),
  })
  .step('charge', {
    run: ({ input, idempotencyKey }) => payments.charge(input.amount, idempotencyKey),
    timeoutMs: 5_000,
  });

const sagas = new SagaOrchestrator(new InMemorySagaStore(), [placeOrder]);
await sagas.recover(); // at boot: resume what a crash left unfinished
const outcome = await sagas.start('place-order', { orderId: 'o-1', amount: 42 }, { sagaId: 'order-o-1' });
if (outcome.status === 'completed') console.log(outcome.context.charge); // p-42-order-o-1/charge
