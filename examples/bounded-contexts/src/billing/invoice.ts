import { DomainRuleViolation } from '@keel/ddd';
import type { Decider } from '@keel/eventsourcing';

/** The currencies Billing can invoice and collect in. */
export const BILLING_CURRENCIES = ['EUR', 'GBP'] as const;
export type BillingCurrency = (typeof BILLING_CURRENCIES)[number];

/** An amount Billing is owed, in minor units. */
export interface Amount {
  readonly minor: number;
  readonly currency: BillingCurrency;
}

/**
 * A customer as Billing sees one: who pays, where the invoice goes (`null`: by post) and on
 * what terms. Sales' `Customer` (name, e-mail, segment) is translated into this by the ACL.
 */
export interface Payer {
  readonly accountId: string;
  readonly legalName: string;
  readonly invoiceEmail: string | null;
  readonly paymentTermsDays: number;
}

/** What an issued invoice says. */
export interface InvoiceTerms {
  /** The order this invoice bills, in Sales' numbering (Billing keeps it as a reference). */
  readonly orderRef: string;
  readonly payer: Payer;
  readonly amountDue: Amount;
  /** `YYYY-MM-DD` */
  readonly issuedOn: string;
  /** `YYYY-MM-DD` */
  readonly dueOn: string;
}

/** The commands of an invoice: Billing's own language, whatever Sales calls things. */
export type InvoiceCommand =
  | ({ readonly type: 'IssueInvoice' } & InvoiceTerms)
  | { readonly type: 'VoidInvoice'; readonly orderRef: string; readonly reason: string };

/** The events of an invoice. */
export type InvoiceEvent =
  | { readonly type: 'InvoiceIssued'; readonly data: InvoiceTerms }
  | { readonly type: 'InvoiceVoided'; readonly data: { readonly reason: string } };

/** An invoice's state: none yet, open (owed), or void. */
export type InvoiceState =
  | { readonly status: 'none' }
  | ({ readonly status: 'open' } & InvoiceTerms)
  | ({ readonly status: 'void'; readonly reason: string } & InvoiceTerms);

/** The stream of the invoice for one order. */
export const invoiceStream = (orderRef: string): string => `Invoice-${orderRef}`;

/**
 * The Invoice aggregate as a decider (`@keel/eventsourcing`): pure functions, one stream per
 * order. Issuing twice is a no-op (a redelivered event), voiding needs an invoice.
 */
export const invoiceDecider: Decider<InvoiceCommand, InvoiceState, InvoiceEvent> = {
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    if (command.type === 'IssueInvoice') {
      if (state.status !== 'none') return []; // already issued: the same order delivered again
      const { type: _type, ...terms } = command;
      return [{ type: 'InvoiceIssued', data: terms }];
    }
    if (state.status === 'none') {
      throw new DomainRuleViolation(
        'invoice.exists',
        `There is no invoice for order ${command.orderRef}, so there is nothing to void.`,
      );
    }
    return state.status === 'void' ? [] : [{ type: 'InvoiceVoided', data: { reason: command.reason } }];
  },
  evolve(state, event) {
    if (event.type === 'InvoiceIssued') return { status: 'open', ...event.data };
    return state.status === 'none' ? state : { ...state, status: 'void', reason: event.data.reason };
  },
};
