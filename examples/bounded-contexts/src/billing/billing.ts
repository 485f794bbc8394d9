import type { Message } from '@keel/core';
import type { EventTransport, TransportSubscription } from '@keel/cqrs';
import { isDomainRuleViolation } from '@keel/ddd';
import type { DomainRuleViolation } from '@keel/ddd';
import { ANY, collect, createCommandHandler } from '@keel/eventsourcing';
import type { CommandHandler, EventStore, RecordedEvent } from '@keel/eventsourcing';
import { translateSalesEvent } from './antiCorruptionLayer.js';
import type { Translation } from './antiCorruptionLayer.js';
import { invoiceDecider, invoiceStream } from './invoice.js';
import type { InvoiceCommand, InvoiceEvent, InvoiceState } from './invoice.js';
import { isTranslationRefusedError } from './translationRefusedError.js';
import type { TranslationRefusedError } from './translationRefusedError.js';

/** The stream where Billing records every message it refused. */
export const REFUSALS_STREAM = 'Billing-refusals';

/** What Billing did with one received message. */
export type ReceiveOutcome =
  | { readonly outcome: 'applied'; readonly command: InvoiceCommand; readonly changed: boolean }
  | { readonly outcome: 'ignored'; readonly why: string }
  | { readonly outcome: 'refused'; readonly error: TranslationRefusedError | DomainRuleViolation };

/** A refused message as Billing recorded it. */
export interface Refusal {
  readonly messageId: string;
  readonly messageType: string;
  /** The ACL's `RefusalReason`, or the Billing rule that refused the command. */
  readonly reason: string;
  readonly message: string;
}

/** What the Billing context runs on. */
export interface BillingOptions {
  /** Billing's own event store (never Sales'). */
  readonly events: EventStore;
  /** Hears what happened to each received message. */
  readonly onOutcome?: ((message: Message, outcome: ReceiveOutcome) => void) | undefined;
}

/** The Billing context's entry points. */
export interface BillingContext {
  /** Translates and applies one Sales event; a refusal is recorded, not thrown. */
  receive(message: Message, options?: { signal?: AbortSignal }): Promise<ReceiveOutcome>;
  /** Receives every message a transport delivers. */
  subscribeTo(transport: EventTransport): Promise<TransportSubscription>;
  /** The invoice for one of Sales' orders. */
  invoice(orderRef: string): Promise<InvoiceState>;
  /** Every invoice, in the order they were issued. */
  invoices(): Promise<InvoiceState[]>;
  /** Every refused message, oldest first. */
  refusals(): Promise<Refusal[]>;
}

/** Creates the Billing context over its own event store. */
export function createBilling({ events, onOutcome }: BillingOptions): BillingContext {
  const handle = createCommandHandler(events, invoiceDecider, { maxConflictRetries: 3 });
  const receive: BillingContext['receive'] = async (message, options = {}) => {
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const outcome = await applyOrRefuse(message, { events, handle, signal });
    onOutcome?.(message, outcome);
    return outcome;
  };
  return {
    receive,
    subscribeTo: (transport) =>
      transport.subscribe((message, { signal }) => receive(message, { signal }).then(() => {})),
    ...billingQueries(events),
  };
}

interface Dependencies {
  readonly events: EventStore;
  readonly handle: CommandHandler<InvoiceCommand, InvoiceState, InvoiceEvent>;
  readonly signal: { signal?: AbortSignal };
}

/** Translates, then applies; a refusal is recorded and returned, anything else is thrown. */
async function applyOrRefuse(
  message: Message,
  { events, handle, signal }: Dependencies,
): Promise<ReceiveOutcome> {
  let translation: Translation;
  try {
    translation = translateSalesEvent(message);
  } catch (error) {
    if (isTranslationRefusedError(error)) return refuse(events, message, error, signal);
    throw error;
  }
  if (translation.kind === 'ignored') return { outcome: 'ignored', why: translation.why };
  const { command } = translation;
  const { messageId, correlationId } = message.metadata;
  try {
    const metadata = { causationId: messageId, correlationId };
    const result = await handle(invoiceStream(command.orderRef), command, { metadata, ...signal });
    return { outcome: 'applied', command, changed: result.events.length > 0 };
  } catch (error) {
    if (isDomainRuleViolation(error)) return refuse(events, message, error, signal);
    throw error; // infrastructure trouble: the transport redelivers
  }
}

async function refuse(
  events: EventStore,
  message: Message,
  error: TranslationRefusedError | DomainRuleViolation,
  signal: { signal?: AbortSignal },
): Promise<ReceiveOutcome> {
  const reason = isTranslationRefusedError(error) ? error.reason : error.rule;
  const { messageId } = message.metadata;
  const refusal: Refusal = { messageId, messageType: message.type, reason, message: error.message };
  // The message id is the event id: a redelivered refusal is recorded once.
  const refused = { type: 'SalesEventRefused', data: refusal, eventId: messageId };
  await events.appendToStream(REFUSALS_STREAM, [refused], { expectedVersion: ANY, ...signal });
  return { outcome: 'refused', error };
}

function billingQueries(events: EventStore): Pick<BillingContext, 'invoice' | 'invoices' | 'refusals'> {
  const evolve = (state: InvoiceState, event: RecordedEvent) =>
    invoiceDecider.evolve(state, event as unknown as InvoiceEvent);
  return {
    async invoice(orderRef) {
      const stream = await collect(events.readStream(invoiceStream(orderRef)));
      return stream.reduce(evolve, invoiceDecider.initialState());
    },
    async invoices() {
      const states = new Map<string, InvoiceState>();
      for await (const event of events.readAll({ filter: { streamPrefix: invoiceStream('') } })) {
        states.set(
          event.streamName,
          evolve(states.get(event.streamName) ?? invoiceDecider.initialState(), event),
        );
      }
      return [...states.values()];
    },
    async refusals() {
      const recorded = await collect(events.readStream(REFUSALS_STREAM));
      return recorded.map((event) => event.data as Refusal);
    },
  };
}
