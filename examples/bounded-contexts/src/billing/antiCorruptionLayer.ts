import { formatPath, isValidationError, parse } from '@keel/core';
import type { Message, StandardSchemaV1 } from '@keel/core';
import { orderCancelledV1, orderPlacedV1, orderPlacedV2 } from '../contracts/salesEvents.js';
import { BILLING_CURRENCIES } from './invoice.js';
import type { Amount, BillingCurrency, InvoiceCommand, Payer } from './invoice.js';
import { TranslationRefusedError } from './translationRefusedError.js';

/** What the anti-corruption layer made of a message: a Billing command, or nothing for Billing. */
export type Translation =
  | { readonly kind: 'command'; readonly command: InvoiceCommand }
  | { readonly kind: 'ignored'; readonly why: string };

type Translator = (message: Message) => InvoiceCommand;

/** Billing's terms by Sales segment: the one place Billing interprets Sales' word "segment". */
const PAYMENT_TERMS_DAYS = { retail: 14, wholesale: 30 } as const;

/** The Sales events Billing consumes: event name → version → translator. */
const TRANSLATORS: ReadonlyMap<string, ReadonlyMap<number, Translator>> = new Map([
  [
    'OrderPlaced',
    new Map([
      [1, fromOrderPlacedV1],
      [2, fromOrderPlacedV2],
    ]),
  ],
  ['OrderCancelled', new Map([[1, fromOrderCancelledV1]])],
]);

/**
 * Billing's anti-corruption layer: translates a Sales integration event (`sales.<Name>.v<N>`)
 * into a Billing command, so nothing of Sales' model leaks into Billing. Events Billing does
 * not consume are ignored; a consumed event it cannot translate is refused.
 *
 * @throws TranslationRefusedError for an unknown version, data that breaks the published
 *   schema, a currency Billing cannot invoice, or a total that does not match its lines.
 */
export function translateSalesEvent(message: Message): Translation {
  const [context, name = '', version = '', ...rest] = message.type.split('.');
  if (context !== 'sales') return { kind: 'ignored', why: 'not a Sales event' };
  const versions = TRANSLATORS.get(name);
  if (versions === undefined) return { kind: 'ignored', why: `Billing does not consume ${name}` };
  const translate =
    rest.length === 0 && /^v\d{1,6}$/.test(version) ? versions.get(Number(version.slice(1))) : undefined;
  if (translate === undefined) {
    const known = [...versions.keys()].map((known) => `v${known}`).join(' and ');
    throw new TranslationRefusedError(
      'unknown-version',
      message,
      `Billing reads ${name} ${known}, not "${version}"; teach the anti-corruption layer that version first.`,
    );
  }
  return { kind: 'command', command: translate(message) };
}

function fromOrderPlacedV2(message: Message): InvoiceCommand {
  const data = read(orderPlacedV2, message);
  const linesTotal = data.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0);
  if (!Number.isSafeInteger(linesTotal) || linesTotal !== data.totalMinor) {
    throw new TranslationRefusedError(
      'inconsistent-amount',
      message,
      `the lines add up to ${linesTotal} but totalMinor is ${data.totalMinor}; Billing will not guess which is right.`,
    );
  }
  const { customer } = data;
  const payer: Payer = {
    accountId: `ACC-${customer.id}`,
    legalName: customer.name,
    invoiceEmail: customer.email,
    paymentTermsDays: PAYMENT_TERMS_DAYS[customer.segment],
  };
  const amountDue = { minor: data.totalMinor, currency: billingCurrency(data.currency, message) };
  return issue(data.orderId, payer, amountDue, data.placedAt);
}

function fromOrderPlacedV1(message: Message): InvoiceCommand {
  const data = read(orderPlacedV1, message);
  const [units = '0', cents = '0'] = data.total.split('.');
  const payer: Payer = {
    accountId: `ACC-${data.customerId}`,
    legalName: data.customerName,
    invoiceEmail: null, // v1 carried no e-mail: the invoice goes by post
    paymentTermsDays: PAYMENT_TERMS_DAYS.retail,
  };
  const amountDue = {
    minor: Number(units) * 100 + Number(cents),
    currency: billingCurrency(data.currency, message),
  };
  return issue(data.orderId, payer, amountDue, data.placedAt);
}

function fromOrderCancelledV1(message: Message): InvoiceCommand {
  const data = read(orderCancelledV1, message);
  return { type: 'VoidInvoice', orderRef: data.orderId, reason: `order cancelled: ${data.reason}` };
}

function issue(orderRef: string, payer: Payer, amountDue: Amount, placedAt: string): InvoiceCommand {
  const issuedOn = placedAt.slice(0, 10);
  const due = new Date(Date.parse(`${issuedOn}T00:00:00Z`) + payer.paymentTermsDays * 86_400_000);
  return {
    type: 'IssueInvoice',
    orderRef,
    payer,
    amountDue,
    issuedOn,
    dueOn: due.toISOString().slice(0, 10),
  };
}

function read<TSchema extends StandardSchemaV1>(
  schema: TSchema,
  message: Message,
): StandardSchemaV1.InferOutput<TSchema> {
  try {
    return parse(schema, message.data, { subject: message.type });
  } catch (error) {
    if (!isValidationError(error)) throw error;
    const problems = error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new TranslationRefusedError(
      'invalid-payload',
      message,
      `its data breaks the published schema (${problems}).`,
      {
        cause: error,
      },
    );
  }
}

function billingCurrency(code: string, message: Message): BillingCurrency {
  const supported: readonly string[] = BILLING_CURRENCIES;
  if (supported.includes(code)) return code as BillingCurrency;
  throw new TranslationRefusedError(
    'unsupported-currency',
    message,
    `Billing invoices in ${BILLING_CURRENCIES.join(' and ')}, not ${code}; settle it outside Billing or add ${code} to Billing first.`,
  );
}
