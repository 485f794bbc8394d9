import type { Message } from '@keel/core';
import { z } from 'zod';

/**
 * The contract the three services share, and nothing else: the events that cross between
 * processes (with a zod schema each, since a message from the network is untrusted input),
 * who publishes each one and who consumes it. No service imports another service.
 */

const orderId = z.string().min(1);

/** The data schema of every event type, by type. */
export const EVENT_SCHEMAS = {
  /** The storefront (the launcher) passes on a customer's order. */
  OrderRequested: z.object({
    orderId,
    sku: z.string().min(1),
    quantity: z.number().int().positive(),
    amount: z.number().int().positive(),
  }),
  /** Orders accepted the order and waits for stock and payment. */
  OrderPlaced: z.object({
    orderId,
    sku: z.string().min(1),
    quantity: z.number().int().positive(),
    amount: z.number().int().positive(),
  }),
  /** Inventory set the goods aside. */
  InventoryReserved: z.object({
    orderId,
    reservationId: z.string().min(1),
    amount: z.number().int().positive(),
  }),
  /** Inventory has too little stock. */
  InventoryRejected: z.object({ orderId, reason: z.string() }),
  /** Payments charged the customer. */
  PaymentCaptured: z.object({ orderId, paymentId: z.string().min(1) }),
  /** Payments could not charge the customer: inventory releases the goods, orders cancels. */
  PaymentFailed: z.object({ orderId, reason: z.string() }),
} as const;

/** The name of an event type. */
export type EventType = keyof typeof EVENT_SCHEMAS;

/** The data of each event type, by type. */
export type SagaEventData = { [T in EventType]: z.infer<(typeof EVENT_SCHEMAS)[T]> };

/** An event of type `T` as it travels: a core `Message`. */
export type SagaEvent<T extends EventType = EventType> = Message<T, SagaEventData[T]>;

/** A process of the example: the three services. */
export type ServiceName = 'orders' | 'inventory' | 'payments';

/** Whoever publishes events: a service, or the storefront (the launcher, standing in for a web shop). */
export type Source = ServiceName | 'storefront';

/** The three services, in the order they start. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.freeze(['orders', 'inventory', 'payments']);

/** Who publishes each event type. */
export const PUBLISHER: Readonly<Record<EventType, Source>> = Object.freeze({
  OrderRequested: 'storefront',
  OrderPlaced: 'orders',
  InventoryReserved: 'inventory',
  InventoryRejected: 'inventory',
  PaymentCaptured: 'payments',
  PaymentFailed: 'payments',
});

/** Which event types each service consumes (one durable JetStream consumer per type). */
export const CONSUMES = Object.freeze({
  orders: ['OrderRequested', 'InventoryRejected', 'PaymentCaptured', 'PaymentFailed'],
  inventory: ['OrderPlaced', 'PaymentFailed'],
  payments: ['InventoryReserved'],
} as const satisfies Record<ServiceName, readonly EventType[]>);

/** The event types service `S` consumes. */
export type ConsumedBy<S extends ServiceName> = (typeof CONSUMES)[S][number];

/** The metadata header naming the process that published an event. */
export const SOURCE_HEADER = 'source';

/** Whether `type` is one of the example's event types. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_SCHEMAS, type);
}

/** Checks an event from the network against its schema; returns it typed. @throws ZodError */
export function parseEvent(message: Message): SagaEvent {
  if (!isEventType(message.type)) throw new TypeError(`Unknown event type "${message.type}".`);
  const data = EVENT_SCHEMAS[message.type].parse(message.data);
  return { ...message, type: message.type, data } as SagaEvent;
}

/** The process that published `event`: its source header, else the contract's publisher. */
export function sourceOf(event: Message): Source {
  const header = event.metadata.headers[SOURCE_HEADER];
  return header === 'storefront' || SERVICE_NAMES.includes(header as ServiceName)
    ? (header as Source)
    : PUBLISHER[event.type as EventType];
}
