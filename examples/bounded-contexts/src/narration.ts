import type { Message } from '@keel/core';
import type { ReceiveOutcome } from './billing/billing.js';
import type { Amount } from './billing/invoice.js';
import { isTranslationRefusedError } from './billing/translationRefusedError.js';

/** Formats an amount in minor units, e.g. `€1,427.00`. */
export function formatAmount({ minor, currency }: Amount): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(minor / 100);
}

/** One line saying what Billing did with a message. */
export function describeOutcome(message: Message, outcome: ReceiveOutcome): string {
  const data = message.data as { orderId?: unknown } | undefined;
  const subject = `${message.type} ${typeof data?.orderId === 'string' ? data.orderId : '?'}`;
  return `   ${subject} → ${describe(outcome)}`;
}

function describe(outcome: ReceiveOutcome): string {
  if (outcome.outcome === 'ignored') return `ignored (${outcome.why})`;
  if (outcome.outcome === 'refused') {
    const { error } = outcome;
    return isTranslationRefusedError(error)
      ? `refused [${error.reason}]: ${error.explanation}`
      : `refused [${error.rule}]: ${error.message}`;
  }
  const { command, changed } = outcome;
  if (!changed) return 'already applied: nothing changed';
  if (command.type === 'VoidInvoice') return `invoice voided (${command.reason})`;
  const delivery = command.payer.invoiceEmail ?? 'by post';
  return `invoice for ${formatAmount(command.amountDue)} to ${command.payer.legalName} (${delivery}), due ${command.dueOn}`;
}
