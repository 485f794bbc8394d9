import type { Message } from '@keel/core';
import type { ProcessDefinition } from './defineProcess.js';
import type { ProcessInstance } from './processStore.js';

type AnyProcess = ProcessDefinition<any, any, any>;

/** The result of feeding one event to an instance. */
export interface AppliedEvent {
  readonly instance: ProcessInstance;
  readonly outcome: 'handled' | 'deferred';
}

function react(
  definition: AnyProcess,
  instance: ProcessInstance,
  event: Message,
  now: number,
): ProcessInstance | 'defer' {
  // Own keys only: an event typed `constructor` or `__proto__` must not find Object.prototype's.
  const handler = (Object.hasOwn(definition.on, event.type) ? definition.on[event.type] : undefined) as
    | ((state: unknown, event: Message, context: { correlationId: string; now: number }) => unknown)
    | undefined;
  if (handler === undefined) return instance;
  const reaction = handler(instance.state, event, { correlationId: instance.correlationId, now }) as
    'defer' | { state?: unknown; commands?: readonly Message[]; complete?: boolean };
  if (reaction === 'defer') return 'defer';
  return {
    ...instance,
    state: 'state' in reaction ? reaction.state : instance.state,
    outbox: [...instance.outbox, ...(reaction.commands ?? [])],
    status: reaction.complete === true ? 'completed' : instance.status,
  };
}

/** Offers the deferred events again, in arrival order, until none makes progress. */
function drainPending(definition: AnyProcess, start: ProcessInstance, now: number): ProcessInstance {
  let instance = start;
  for (let progress = true; progress && instance.status === 'active';) {
    progress = false;
    for (const [index, waiting] of instance.pending.entries()) {
      const next = react(definition, instance, waiting, now);
      if (next === 'defer') continue;
      instance = { ...next, pending: instance.pending.filter((_, other) => other !== index) };
      progress = true;
      break;
    }
  }
  return instance;
}

/**
 * Feeds `event` to the instance's state machine (pure): records its id in the inbox, applies
 * the reaction (state, commands into the outbox, completion) or keeps it as pending when
 * deferred, then offers the pending events again.
 */
export function applyProcessEvent(
  definition: AnyProcess,
  instance: ProcessInstance,
  event: Message,
  now: number,
): AppliedEvent {
  const received: ProcessInstance = {
    ...instance,
    handled: [...instance.handled, event.metadata.messageId],
    updatedAt: now,
  };
  const reacted = react(definition, received, event, now);
  if (reacted === 'defer')
    return { instance: { ...received, pending: [...received.pending, event] }, outcome: 'deferred' };
  return { instance: drainPending(definition, reacted, now), outcome: 'handled' };
}
