import type { EventTransport, TransportHandler } from '@keel/cqrs';
import { describe, expectTypeOf, it } from 'vitest';
import type { NatsDelivery } from './natsDelivery.js';
import type { NatsEventTransport } from './natsEventTransport.js';

describe('NatsEventTransport types', () => {
  it('is an EventTransport an event bus can consume', () => {
    expectTypeOf<NatsEventTransport>().toExtend<EventTransport>();
  });

  it('accepts a plain transport handler and gives direct handlers the NATS delivery facts', () => {
    expectTypeOf<TransportHandler>().toExtend<Parameters<NatsEventTransport['subscribe']>[0]>();
    expectTypeOf<
      Parameters<Parameters<NatsEventTransport['subscribe']>[0]>[1]
    >().toEqualTypeOf<NatsDelivery>();
    expectTypeOf<NatsDelivery['deliveryCount']>().toEqualTypeOf<number>();
  });
});
