import { processWide } from '@keel/core';
import type { Message } from '@keel/core';

/** How far back a bus follows causes: further than any real flow, short enough if ids loop. */
const MAX_HOPS = 64;

/** A message in flight that names a cause, and how many times it is being handled right now. */
interface Entry {
  readonly cause: string;
  count: number;
}

/**
 * The messages that the buses of this process are handling right now and that name a cause:
 * message id → causation id (counted: one message may be handled twice at once). With it, an
 * event bus follows the causes of a published event back through the commands, queries and
 * events handled in between. An event raised by a command handler names the command as its
 * cause, the command names the event whose handler sent it, and if that event is still being
 * delivered, the new event is nested in its delivery, however many hops lie between them.
 *
 * Messages without a cause are never entered: a flow's first message costs nothing here.
 */
export class CausesInFlight {
  readonly #entries = new Map<string, Entry>();

  /** Notes that handling of `message` started. */
  enter(message: Message): void {
    const cause = message.metadata.causationId;
    if (cause === undefined) return;
    const id = message.metadata.messageId;
    const entry = this.#entries.get(id);
    if (entry === undefined) this.#entries.set(id, { cause, count: 1 });
    else entry.count++;
  }

  /** Notes that one handling of `message` ended. */
  leave(message: Message): void {
    if (message.metadata.causationId === undefined) return;
    const id = message.metadata.messageId;
    const entry = this.#entries.get(id);
    if (entry !== undefined && --entry.count === 0) this.#entries.delete(id);
  }

  /** The cause of the message with this id, while it is being handled. */
  causeOf(id: string): string | undefined {
    return this.#entries.get(id)?.cause;
  }

  /**
   * Whether `message`'s cause, or the cause of that cause and so on (through messages being
   * handled now), is one that `isRunning` accepts.
   */
  leadsTo(message: Message, isRunning: (id: string) => boolean): boolean {
    let cause = message.metadata.causationId;
    for (let hop = 0; cause !== undefined && hop < MAX_HOPS; hop++) {
      if (isRunning(cause)) return true;
      cause = this.causeOf(cause);
    }
    return false;
  }

  /** How many messages with a cause are being handled (for tests). */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The registry shared by every bus of the process, also across loaded copies of the package (its
 * ESM and CommonJS builds side by side): a command handled by one copy's bus and an event
 * published on another's are still known to be one flow.
 */
export const causesInFlight = processWide('@keel/cqrs/causes-in-flight@1', () => new CausesInFlight());
