import { KeelError, isKeelError } from '@keel/core';
import type { KeelErrorOptions, Message } from '@keel/core';

/** The code of every {@link TranslationRefusedError}. */
export const TRANSLATION_REFUSED = 'BILLING_TRANSLATION_REFUSED';

/** Why Billing's anti-corruption layer refused a Sales event. */
export type RefusalReason =
  'unknown-version' | 'invalid-payload' | 'unsupported-currency' | 'inconsistent-amount';

/**
 * A Sales event that Billing's anti-corruption layer cannot translate into Billing's model.
 * Nothing of it is applied; Billing records it for someone to look at.
 */
export class TranslationRefusedError extends KeelError {
  readonly reason: RefusalReason;
  /** The refused message's type, e.g. `sales.OrderPlaced.v3`. */
  readonly messageType: string;
  /** The refused message's id. */
  readonly messageId: string;
  /** Why, without the message's type and id: what was wrong and what to do. */
  readonly explanation: string;

  constructor(
    reason: RefusalReason,
    message: Pick<Message, 'type' | 'metadata'>,
    text: string,
    options: KeelErrorOptions = {},
  ) {
    super(TRANSLATION_REFUSED, `Billing refused ${message.type} (${message.metadata.messageId}): ${text}`, {
      ...options,
      details: {
        ...options.details,
        reason,
        messageType: message.type,
        messageId: message.metadata.messageId,
      },
    });
    this.reason = reason;
    this.messageType = message.type;
    this.messageId = message.metadata.messageId;
    this.explanation = text;
  }
}

/** Whether `value` is a {@link TranslationRefusedError}, optionally for one `reason`. */
export function isTranslationRefusedError(
  value: unknown,
  reason?: RefusalReason,
): value is TranslationRefusedError {
  if (!isKeelError(value, TRANSLATION_REFUSED)) return false;
  return reason === undefined || (value as TranslationRefusedError).reason === reason;
}
