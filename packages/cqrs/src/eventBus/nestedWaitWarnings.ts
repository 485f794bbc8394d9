import type { Message } from '@keel/core';

/**
 * How long an awaited publish waits behind an earlier delivery of its key, or for a concurrency
 * slot, before the bus warns.
 */
export const NESTED_WAIT_WARNING_MS = 10_000;
/** The `type` of the process warning about a publish that may wait for itself. */
export const NESTED_WAIT_WARNING = 'KeelNestedPublishWarning';

/** A timer of a watch, to clear when the wait ends; `undefined` when nothing is watched. */
export type WaitWatch = ReturnType<typeof setTimeout> | undefined;

const FIX =
  'name the handled event as the cause of what the handler sends and publishes ' +
  "({ causedBy: context.message }), or create the bus with nestedPublishes: 'detect'. " +
  'This warning is emitted once per bus.';

/**
 * One bus's process warnings about awaited publishes that may wait for themselves: behind an
 * earlier delivery of their ordering key, or for a concurrency slot. Each kind is emitted once
 * per bus; once it was, waits of that kind are no longer timed.
 */
export class NestedWaitWarnings {
  #warnedQueue = false;
  #warnedSlot = false;

  /** Times an awaited delivery of `event` queued behind a delivery of `key`. */
  watchQueue(key: string, event: Message): WaitWatch {
    if (this.#warnedQueue) return undefined;
    return unrefTimer(() => {
      if (this.#warnedQueue) return;
      this.#warnedQueue = true;
      process.emitWarning(
        `An awaited publish of ${event.type} (ordering key ${JSON.stringify(key)}) has waited ` +
          `${NESTED_WAIT_WARNING_MS / 1000} s for an earlier delivery of the same key. If a handler of ` +
          `that delivery awaits this publish, it waits for itself: ${FIX}`,
        { type: NESTED_WAIT_WARNING, code: 'KEEL_NESTED_PUBLISH_WAIT' },
      );
    });
  }

  /** Times a handler of an awaited delivery of `event` waiting for a concurrency slot. */
  watchSlot(event: Message): WaitWatch {
    if (this.#warnedSlot) return undefined;
    return unrefTimer(() => {
      if (this.#warnedSlot) return;
      this.#warnedSlot = true;
      process.emitWarning(
        `An awaited publish of ${event.type} has waited ${NESTED_WAIT_WARNING_MS / 1000} s for a ` +
          'concurrency slot of the bus. If the handlers holding every slot await this publish, it ' +
          `waits for itself: ${FIX}`,
        { type: NESTED_WAIT_WARNING, code: 'KEEL_NESTED_PUBLISH_SLOT_WAIT' },
      );
    });
  }
}

function unrefTimer(warn: () => void): WaitWatch {
  const timer = setTimeout(warn, NESTED_WAIT_WARNING_MS);
  timer.unref?.();
  return timer;
}
