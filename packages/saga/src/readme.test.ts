import { describe, expect, it } from 'vitest';
import { defineSaga, InMemorySagaStore, SagaOrchestrator } from './index.js';

// Stand-ins for the services of the README's quick start.
const inventory = {
  reserve: async (orderId: string, key: string) => ({ reservationId: `r-${orderId}-${key}` }),
  release: async (_reserveKey: string) => {},
};
const payments = { charge: async (amount: number, key: string) => ({ paymentId: `p-${amount}-${key}` }) };

describe('README quick start', () => {
  it('runs as written', async () => {
    // --- quick start (kept in sync with README.md) ---
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
    // --- end ---
    expect(outcome).toMatchObject({
      status: 'completed',
      context: { charge: { paymentId: 'p-42-order-o-1/charge' } },
    });
  });
});
