import type { Command } from '@keel/core';
import { createCommand, createEvent } from '@keel/core';
import { ALL_EVENTS, createCommandBus, createEventBus } from '@keel/cqrs';
import type { AnyEventOf } from '@keel/cqrs';
import { defineProcess, ProcessManager } from '@keel/saga';
import type { ProcessInstance, ProcessStore } from '@keel/saga';
import type { Infrastructure } from './infrastructure.js';
import type { Journal, Services } from './services.js';
import { createServices, PaymentDeclinedError } from './services.js';
import { sampleOrder } from './orchestrated.js';

type Order = ReturnType<typeof sampleOrder>;

/** The events the services publish, by type. */
interface FulfilmentEvents {
  OrderPlaced: Order;
  InventoryReserved: { orderId: string; reservationId: string };
  PaymentCaptured: { orderId: string; paymentId: string };
  PaymentDeclined: { orderId: string; reason: string };
  ShipmentArranged: { orderId: string; trackingNumber: string };
}

/** Any event the services publish. */
export type FulfilmentEvent = AnyEventOf<FulfilmentEvents>;

/** The commands the process manager sends. */
export type FulfilmentCommand = Command<string, { orderId: string } & Record<string, unknown>>;

/** The process manager's state for one order. */
export interface FulfilmentState {
  readonly stage: 'new' | 'reserving' | 'paying' | 'shipping' | 'shipped' | 'cancelled';
  readonly order?: Order;
  readonly reservationId?: string;
}

const next = (type: string, event: FulfilmentEvent, data: Record<string, unknown> = {}): FulfilmentCommand =>
  createCommand(type, { orderId: event.data.orderId, ...data }, { causedBy: event });

/**
 * The same flow as the orchestrated saga, choreographed: a state machine reacting to events.
 * An event that arrives before the state machine expects it is deferred, not lost.
 */
export const fulfilment = defineProcess<FulfilmentState, FulfilmentEvent, FulfilmentCommand>({
  name: 'order-fulfilment',
  correlate: (event) => event.data.orderId,
  initialState: () => ({ stage: 'new' }),
  on: {
    OrderPlaced: (state, event) => ({
      state: { stage: 'reserving', order: event.data },
      commands: [next('ReserveInventory', event, { sku: event.data.sku, quantity: event.data.quantity })],
    }),
    InventoryReserved: (state, event) =>
      state.stage !== 'reserving'
        ? 'defer'
        : {
            state: { ...state, stage: 'paying', reservationId: event.data.reservationId },
            commands: [next('CapturePayment', event, { amount: state.order!.amount })],
          },
    PaymentCaptured: (state, event) =>
      state.stage !== 'paying'
        ? 'defer'
        : { state: { ...state, stage: 'shipping' }, commands: [next('ArrangeShipment', event)] },
    PaymentDeclined: (state, event) =>
      state.stage !== 'paying'
        ? 'defer'
        : {
            state: { ...state, stage: 'cancelled' },
            commands: [
              next('ReleaseInventory', event, { reservationId: state.reservationId }),
              next('CancelOrder', event),
            ],
            complete: true,
          },
    ShipmentArranged: (state) =>
      state.stage !== 'shipping' ? 'defer' : { state: { ...state, stage: 'shipped' }, complete: true },
  },
});

/** Wires the services to a command bus; each publishes the outcome as an event. */
function wireServices(services: Services, publish: (event: FulfilmentEvent) => Promise<void>) {
  const commands = createCommandBus();
  commands.register('ReserveInventory', async (command) => {
    const { orderId, sku, quantity } = command.data as { orderId: string; sku: string; quantity: number };
    // The command's message id is stable across resends: the natural idempotency key.
    const { reservationId } = await services.inventory.reserve(sku, quantity, command.metadata.messageId);
    await publish(createEvent('InventoryReserved', { orderId, reservationId }, { causedBy: command }));
  });
  commands.register('CapturePayment', async (command) => {
    const { orderId, amount } = command.data as { orderId: string; amount: number };
    try {
      const { paymentId } = await services.payments.charge(amount, command.metadata.messageId);
      await publish(createEvent('PaymentCaptured', { orderId, paymentId }, { causedBy: command }));
    } catch (error) {
      if (!(error instanceof PaymentDeclinedError)) throw error;
      await publish(
        createEvent('PaymentDeclined', { orderId, reason: error.message }, { causedBy: command }),
      );
    }
  });
  commands.register('ArrangeShipment', async (command) => {
    const { orderId } = command.data as { orderId: string };
    const { trackingNumber } = await services.shipping.arrange(orderId, command.metadata.messageId);
    await publish(createEvent('ShipmentArranged', { orderId, trackingNumber }, { causedBy: command }));
  });
  commands.register('ReleaseInventory', (command) =>
    services.inventory.release((command.data as { reservationId: string }).reservationId),
  );
  commands.register('CancelOrder', (command) =>
    services.orders.cancel((command.data as { orderId: string }).orderId),
  );
  return commands;
}

/** A choreographed run: services, buses and the process manager in process; its state in `store`. */
export function createChoreography(say: Journal, store: ProcessStore) {
  const services = createServices(say);
  const events = createEventBus<FulfilmentEvents>();
  const publish = (event: FulfilmentEvent) => events.publish([event]);
  const commands = wireServices(services, publish);
  const manager = new ProcessManager(fulfilment, {
    store,
    send: async (command) => {
      say(`  ⇒ command ${command.type}`);
      await commands.execute(command);
    },
  });
  const seen: FulfilmentEvent[] = [];
  events.subscribe(
    ALL_EVENTS,
    async (event) => {
      seen.push(event);
      say(`  ⇐ event ${event.type}`);
      const result = await manager.handle(event);
      if (result.outcome !== 'handled') say(`    (process manager: ${result.outcome})`);
    },
    { name: 'order-fulfilment' },
  );
  const placeOrder = async (order: Order) => {
    await services.orders.create(order.orderId, `place-${order.orderId}`);
    await publish(createEvent('OrderPlaced', order));
  };
  return { services, events, manager, seen, placeOrder, publish };
}

/** What a choreographed scene ends with. */
export type FulfilmentInstance = ProcessInstance<FulfilmentState> | undefined;

/** The happy path, then the bus redelivering an event the manager already handled. */
export async function choreographedSuccess(say: Journal, infrastructure: Infrastructure) {
  const world = createChoreography(say, infrastructure.processStore());
  await world.placeOrder(sampleOrder('o-10'));
  const reserved = world.seen.find((event) => event.type === 'InventoryReserved')!;
  say('  the transport redelivers InventoryReserved:');
  await world.publish(reserved);
  return { instance: await world.manager.get('o-10'), services: world.services };
}

/** A declined card: the manager releases the reservation and cancels the order. */
export async function choreographedPaymentFailure(say: Journal, infrastructure: Infrastructure) {
  const world = createChoreography(say, infrastructure.processStore());
  world.services.payments.decline = true;
  await world.placeOrder(sampleOrder('o-11'));
  return { instance: await world.manager.get('o-11'), services: world.services };
}

/** Events delivered out of order straight to a manager: early ones wait, none is lost. */
export async function outOfOrderEvents(say: Journal, infrastructure: Infrastructure) {
  const sent: string[] = [];
  const manager = new ProcessManager(fulfilment, {
    store: infrastructure.processStore(),
    send: (command) => void sent.push(command.type),
  });
  const order = sampleOrder('o-12');
  const arrivals: FulfilmentEvent[] = [
    createEvent('ShipmentArranged', { orderId: order.orderId, trackingNumber: 'TRK-O-12' }),
    createEvent('PaymentCaptured', { orderId: order.orderId, paymentId: 'pay-9' }),
    createEvent('OrderPlaced', order),
    createEvent('InventoryReserved', { orderId: order.orderId, reservationId: 'res-9' }),
  ];
  for (const event of arrivals) {
    const result = await manager.handle(event);
    say(`  ⇐ ${event.type.padEnd(17)} → ${result.outcome.padEnd(8)} stage: ${result.state?.stage}`);
  }
  say(`  commands sent: ${sent.join(', ')}`);
  return { instance: await manager.get(order.orderId), sent };
}
