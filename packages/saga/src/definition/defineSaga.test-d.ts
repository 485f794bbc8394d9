import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { SagaOrchestrator } from '../orchestrator/sagaOrchestrator.js';
import { defineSaga } from './defineSaga.js';
import type { SagaContextOf, SagaInputOf } from './defineSaga.js';

const order = defineSaga('order')
  .input<{ orderId: string; amount: number }>()
  .step('reserve', { run: () => ({ reservationId: 'r-1' }) })
  .step('charge', {
    run: ({ input, context }) => {
      expectTypeOf(input).toEqualTypeOf<{ orderId: string; amount: number }>();
      expectTypeOf(context).toEqualTypeOf<{ readonly reserve: { reservationId: string } }>();
      return { chargeId: 7 };
    },
    compensate: (context) => {
      expectTypeOf(context.runIdempotencyKey).toEqualTypeOf<string>();
      // The output is there only when the step completed; an unknown outcome has none.
      if (context.outcome === 'completed') expectTypeOf(context.output).toEqualTypeOf<{ chargeId: number }>();
      else expectTypeOf(context.output).toEqualTypeOf<undefined>();
    },
  });

describe('defineSaga types', () => {
  it('accumulates each step output into the context type', () => {
    expectTypeOf<SagaContextOf<typeof order>>().toEqualTypeOf<{
      readonly reserve: { reservationId: string };
      readonly charge: { chargeId: number };
    }>();
    expectTypeOf<SagaInputOf<typeof order>>().toEqualTypeOf<{ orderId: string; amount: number }>();
  });

  it('infers the input type from a schema', () => {
    const _typed = defineSaga('typed').input(z.object({ amount: z.number() }));
    expectTypeOf<SagaInputOf<typeof _typed>>().toEqualTypeOf<{ amount: number }>();
  });

  it('rejects a step name that is already used', () => {
    // @ts-expect-error a second "reserve" step
    order.step('reserve', { run: () => 1 });
  });

  it('types start by saga name: its input and its outcome context', async () => {
    const refund = defineSaga('refund')
      .input<{ chargeId: number }>()
      .step('refund', { run: () => true });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [order, refund]);
    const outcome = await orchestrator.start('order', { orderId: 'o', amount: 1 });
    if (outcome.status === 'completed') expectTypeOf(outcome.context.charge.chargeId).toEqualTypeOf<number>();
    // @ts-expect-error wrong input for "refund"
    void orchestrator.start('refund', { orderId: 'o' });
    // @ts-expect-error unknown saga name
    void orchestrator.start('nope', {});
  });
});
