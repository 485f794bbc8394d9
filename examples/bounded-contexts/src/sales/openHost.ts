import { createMessage, parse } from '@keel/core';
import type { Message, Metadata } from '@keel/core';
import type { EventTransport } from '@keel/cqrs';
import type { Repository } from '@keel/ddd';
import { defineProjection } from '@keel/eventsourcing';
import type { Projection, RecordedEvent } from '@keel/eventsourcing';
import { SALES_EVENTS } from '../contracts/salesEvents.js';
import type { SalesEventData, SalesEventType, SalesIntegrationEvent } from '../contracts/salesEvents.js';
import type { Customer, CustomerId } from './customer.js';
import type { OrderEvents } from './order.js';

type OrderEvent = {
  [TType in keyof OrderEvents]: { type: TType; data: OrderEvents[TType] };
}[keyof OrderEvents];

/** What the open host needs from Sales and from the world. */
export interface OpenHostOptions {
  /** Where integration events go (in process here; `@keel/nats` between services). */
  readonly transport: EventTransport;
  /** Sales' customers, to enrich `OrderPlaced` with the buyer's details. */
  readonly customers: Repository<Customer, CustomerId>;
  /** Hears every event once the transport accepted it. */
  readonly onPublished?: (event: SalesIntegrationEvent) => void;
}

/**
 * Sales' open host service: a projection over Sales' own event log that turns internal domain
 * events into the published language and sends them. Run by a `ProjectionRunner` with a
 * checkpoint, so an event is published at least once even if the process dies after the save;
 * the message id is the stored event's id, so a redelivery carries the same id.
 */
export function salesOpenHost({ transport, customers, onPublished }: OpenHostOptions): Projection {
  const send = async (event: SalesIntegrationEvent, signal: AbortSignal) => {
    await transport.publish([event], { signal });
    onPublished?.(event);
  };
  return defineProjection<OrderEvent>({
    name: 'sales-open-host',
    streamPrefix: 'Order-',
    handlers: {
      OrderPlaced: async (event, { signal }) => {
        const customer = await customers.get(event.data.customerId as CustomerId, { signal });
        await send(published('sales.OrderPlaced.v2', orderPlacedV2(event, customer), event), signal);
      },
      OrderCancelled: async (event, { signal }) => {
        const data = { orderId: orderIdOf(event), reason: event.data.reason, cancelledAt: occurredAt(event) };
        await send(published('sales.OrderCancelled.v1', data, event), signal);
      },
    },
  });
}

function orderPlacedV2(
  event: RecordedEvent<'OrderPlaced', OrderEvents['OrderPlaced']>,
  customer: Customer,
): SalesEventData<'sales.OrderPlaced.v2'> {
  const { currency, lines } = event.data;
  return {
    orderId: orderIdOf(event),
    customer: {
      id: customer.idString,
      name: customer.name,
      email: customer.email,
      segment: customer.segment,
    },
    lines: lines.map(({ sku, quantity, unitPriceCents }) => ({
      sku,
      quantity,
      unitPriceMinor: unitPriceCents,
    })),
    totalMinor: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
    currency,
    placedAt: occurredAt(event),
  };
}

/** Builds the message; Sales checks its own output against the contract before sending it. */
function published<TType extends SalesEventType>(
  type: TType,
  data: SalesEventData<TType>,
  source: RecordedEvent,
): Message<TType, SalesEventData<TType>> {
  const checked = parse(SALES_EVENTS[type], data, { subject: type }) as SalesEventData<TType>;
  const stored = source.metadata as Partial<Metadata>;
  return createMessage(type, checked, {
    metadata: {
      messageId: source.eventId,
      correlationId: stored.correlationId ?? source.eventId,
      occurredAt: occurredAt(source),
    },
  });
}

const orderIdOf = (event: RecordedEvent) => event.streamName.slice('Order-'.length);
const occurredAt = (event: RecordedEvent) =>
  (event.metadata as Partial<Metadata>).occurredAt ?? event.recordedAt.toISOString();
