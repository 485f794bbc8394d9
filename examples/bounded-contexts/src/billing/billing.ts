import type { Message } from '@keel/core';
import type { EventTransport, TransportSubscription } from '@keel/cqrs';
import { isDomainRuleViolation } from '@keel/ddd';
import type { DomainRuleViolation } from '@keel/ddd';
import { ANY, collect, createCommandHandler } from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
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

  const refuse = async (
    message: Message,
    error: TranslationRefusedError | DomainRuleViolation,
    signal?: AbortSignal,
  ) => {
    const reason = isTranslationRefusedError(error) ? error.reason : error.rule;
    const refusal: Refusal = {
      messageId: message.metadata.messageId,
      messageType: message.type,
      reason,
      message: error.message,
    };
    // The message id is the event id: a redelivered refusal is recorded once.
    await events.appendToStream(
      REFUSALS_STREAM,
      [{ type: 'SalesEventRefused', data: refusal, eventId: refusal.messageId }],
      { expectedVersion: ANY, ...(signal === undefined ? {} : { signal }) },
    );
    return { outcome: 'refused', error } as const;
  };

  const apply = async (message: Message, signal?: AbortSignal): Promise<ReceiveOutcome> => {
    let translation: Translation;
    try {
      translation = translateSalesEvent(message);
    } catch (error) {
      if (isTranslationRefusedError(error)) return refuse(message, error, signal);
      throw error;
    }
    if (translation.kind === 'ignored') return { outcome: 'ignored', why: translation.why };
    const { command } = translation;
    const { messageId, correlationId } = message.metadata;
    try {
      const result = await handle(invoiceStream(command.orderRef), command, {
        metadata: { causationId: messageId, correlationId },
        ...(signal === undefined ? {} : { signal }),
      });
      return { outcome: 'applied', command, changed: result.events.length > 0 };
    } catch (error) {
      if (isDomainRuleViolation(error)) return refuse(message, error, signal);
      throw error; // infrastructure trouble: let the transport redeliver
    }
  };

  const receive: BillingContext['receive'] = async (message, options = {}) => {
    const outcome = await apply(message, options.signal);
    onOutcome?.(message, outcome);
    return outcome;
  };

  return {
    receive,
    subscribeTo: (transport) =>
      transport.subscribe((message, { signal }) => receive(message, { signal }).then(() => {})),
    async invoice(orderRef) {
      const stream = await collect(events.readStream(invoiceStream(orderRef)));
      return stream.reduce(
        (state, event) => invoiceDecider.evolve(state, event as unknown as InvoiceEvent),
        invoiceDecider.initialState(),
      );
    },
    async invoices() {
      const states = new Map<string, InvoiceState>();
      for await (const event of events.readAll({ filter: { streamPrefix: invoiceStream('') } })) {
        const state = states.get(event.streamName) ?? invoiceDecider.initialState();
        states.set(event.streamName, invoiceDecider.evolve(state, event as unknown as InvoiceEvent));
      }
      return [...states.values()];
    },
    async refusals() {
      const recorded = await collect(events.readStream(REFUSALS_STREAM));
      return recorded.map((event) => event.data as Refusal);
    },
  };
}
