import { defineSaga } from '@keel/saga';
import { constantBackoff, retry } from '@keel/resilience';
import type { Clock } from '@keel/core';
import { z } from 'zod';
import type { Services } from './services.js';
import { isTransient } from './services.js';

/** What a customer submits; `start` validates it with this schema. */
export const PlaceOrderInput = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
  amount: z.number().positive(),
});

/**
 * The orchestrated order saga: create order → reserve inventory → process payment → arrange
 * shipment. Each step passes its idempotency key to the service, so a step re-run after a crash
 * is applied once; each completed step has an undo that runs in reverse order on failure.
 */
export function placeOrderSaga(services: Services, clock?: Clock) {
  // Transient outages are retried (twice, 20 ms apart); a declined card is not.
  const transientRetry = retry({
    maxRetries: 2,
    backoff: constantBackoff(20),
    handle: isTransient,
    ...(clock === undefined ? {} : { clock }),
  });
  return defineSaga('place-order')
    .input(PlaceOrderInput)
    .step('createOrder', {
      run: ({ input, idempotencyKey }) => services.orders.create(input.orderId, idempotencyKey),
      compensate: ({ input }) => services.orders.cancel(input.orderId),
    })
    .step('reserveInventory', {
      run: ({ input, idempotencyKey }) =>
        services.inventory.reserve(input.sku, input.quantity, idempotencyKey),
      // By the run's key: a timed-out step may or may not have taken effect (outcome unknown).
      compensate: ({ runIdempotencyKey }) => services.inventory.releaseFor(runIdempotencyKey),
      retry: transientRetry,
      timeoutMs: 2_000,
    })
    .step('processPayment', {
      run: ({ input, idempotencyKey }) => services.payments.charge(input.amount, idempotencyKey),
      compensate: ({ runIdempotencyKey }) => services.payments.refundFor(runIdempotencyKey),
      retry: transientRetry,
      timeoutMs: 2_000,
    })
    .step('arrangeShipment', {
      run: ({ input, idempotencyKey }) => services.shipping.arrange(input.orderId, idempotencyKey),
      retry: transientRetry,
    })
    .deadline(30_000);
}
