import { AsyncLocalStorage } from 'node:async_hooks';
import { processWide } from '@keel/core';
import type { Message } from '@keel/core';

/** One level of ambient correlation: the message being handled, inside its parent's handler. */
interface Scope {
  readonly message: Message;
  readonly parent: Scope | undefined;
}

/**
 * The messages whose handlers are running, innermost first, as entered by
 * `correlationMiddleware({ ambient: true })`. Nothing else enters it: reading an
 * `AsyncLocalStorage` that was never entered costs little and leaves promise hooks off. One per
 * process, shared by every loaded copy of the package, so a bus of one copy sees the scope a
 * bus of another entered.
 */
const messageScope = processWide('@keel/cqrs/message-scope@1', () => new AsyncLocalStorage<Scope>());

/** Runs `fn` with `message` as the innermost message in scope. */
export function runInScope<T>(message: Message, fn: () => T): T {
  return messageScope.run({ message, parent: messageScope.getStore() }, fn);
}

/** The innermost message in scope, if any. */
export function scopedMessage(): Message | undefined {
  return messageScope.getStore()?.message;
}

/** Whether any message in scope (the innermost or one whose handler led to it) matches. */
export function someInScope(matches: (message: Message) => boolean): boolean {
  for (let scope = messageScope.getStore(); scope !== undefined; scope = scope.parent) {
    if (matches(scope.message)) return true;
  }
  return false;
}

/**
 * Stamps `message` as caused by the message in scope: same correlation id, the parent's id as
 * causation id, the parent's tenant if it has none. Messages that already name a cause are
 * returned unchanged, as are messages outside any scope.
 */
export function stampFromScope<TMessage extends Message>(message: TMessage): TMessage {
  const parent = scopedMessage();
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

/** `messages` stamped with {@link stampFromScope}; the same array when no scope is active. */
export function stampAllFromScope<TMessage extends Message>(
  messages: readonly TMessage[],
): readonly TMessage[] {
  if (messageScope.getStore() === undefined) return messages;
  return messages.map((message) => stampFromScope(message));
}

/** One delivery in progress, inside the deliveries whose handlers led to it. */
interface DeliveryScope {
  readonly bus: object;
  readonly messageId: string;
  readonly parent: DeliveryScope | undefined;
}

/**
 * The deliveries whose handlers are running, innermost first. Entered only by a bus created with
 * `nestedPublishes: 'detect'`, so that an awaited publish from inside their handlers, direct or
 * through a command and a repository, is known to be nested. Only the bus that enters it reads
 * it (for its own deliveries), so each copy of the package may keep its own.
 */
const deliveryScope = new AsyncLocalStorage<DeliveryScope>();

/** Runs `fn` (a delivery of message `messageId` on `bus`) inside the delivery scope. */
export function runInDelivery<T>(bus: object, messageId: string, fn: () => T): T {
  return deliveryScope.run({ bus, messageId, parent: deliveryScope.getStore() }, fn);
}

/** Whether the caller runs inside a delivery on `bus` that `inFlight` says is still running. */
export function insideDeliveryOf(bus: object, inFlight: (messageId: string) => boolean): boolean {
  for (let scope = deliveryScope.getStore(); scope !== undefined; scope = scope.parent) {
    if (scope.bus === bus && inFlight(scope.messageId)) return true;
  }
  return false;
}
