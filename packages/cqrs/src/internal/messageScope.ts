import { AsyncLocalStorage } from 'node:async_hooks';
import type { Message } from '@keel/core';

/** The message whose handler is running, as set by the correlation middleware. */
export const messageScope = new AsyncLocalStorage<Message>();

/**
 * Stamps `message` as caused by the message in scope: same correlation id, the parent's id as
 * causation id, the parent's tenant if it has none. Messages that already name a cause are
 * returned unchanged, as are messages outside any scope.
 */
export function stampFromScope<TMessage extends Message>(message: TMessage): TMessage {
  const parent = messageScope.getStore();
  if (parent === undefined) return message;
  const metadata = message.metadata;
  if (metadata.causationId !== undefined || metadata.messageId === parent.metadata.messageId) return message;
  const tenantId = metadata.tenantId ?? parent.metadata.tenantId;
  return Object.freeze({
    ...message,
    metadata: Object.freeze({
      ...metadata,
      correlationId: parent.metadata.correlationId,
      causationId: parent.metadata.messageId,
      ...(tenantId === undefined ? {} : { tenantId }),
    }),
  });
}
