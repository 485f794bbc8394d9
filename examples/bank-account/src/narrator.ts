import { createLogger } from '@keel/core';
import type { LogEntry, Logger, Message } from '@keel/core';
import { cents } from './account.js';
import type { BalanceRow } from './balances.js';

/** Prints one line of the story. */
export type Print = (line: string) => void;

/**
 * Turns what the buses report into readable lines: the logging middleware's entries, every
 * event published, every read-model update. `quiet()` silences it for bulk work.
 */
export class Narrator {
  readonly print: Print;
  /** The core `Logger` handed to the buses' `loggingMiddleware`. */
  readonly logger: Logger;
  #muted = 0;

  constructor(print: Print) {
    this.print = print;
    this.logger = createLogger((entry) => this.#log(entry), { level: 'info' });
  }

  /** Runs `work` without narrating the buses (the story still prints). */
  async quiet<TResult>(work: () => Promise<TResult>): Promise<TResult> {
    this.#muted++;
    try {
      return await work();
    } finally {
      this.#muted--;
    }
  }

  /** Prints a command about to be sent. */
  command(type: string, data: unknown, note = ''): void {
    if (this.#muted === 0) this.print(`   » ${type} ${JSON.stringify(data)}${note}`);
  }

  /** Prints an event as the event bus delivers it, with its correlation and causation. */
  event(event: Message): void {
    if (this.#muted > 0) return;
    const account = event.metadata.aggregate;
    const where = account === undefined ? '' : ` ${account.stream} v${account.version}`;
    this.print(
      `      ⤷ event ${event.type} ${JSON.stringify(event.data)}${where}  ` +
        `id ${short(event.metadata.messageId)} corr ${short(event.metadata.correlationId)} cause ${short(event.metadata.causationId)}`,
    );
  }

  /** Prints a read-model row after the projection changed it. */
  update(row: BalanceRow, eventType: string): void {
    if (this.#muted > 0) return;
    const closed = row.closed ? ', closed' : '';
    this.print(
      `      ⤷ read model: ${row.accountId} ${cents(row.balanceCents)}, ${transactions(row.transactions)}${closed} (after ${eventType})`,
    );
  }

  #log(entry: LogEntry): void {
    if (this.#muted > 0) return;
    const { fields } = entry;
    const cause = fields['causationId'] === undefined ? '' : ` cause ${short(fields['causationId'])}`;
    const ids = `id ${short(fields['messageId'])} corr ${short(fields['correlationId'])}${cause}`;
    const what = `${String(fields['kind'])} ${String(fields['type'])}`;
    const took = `${String(fields['durationMs'])} ms`;
    const outcome =
      entry.level === 'error'
        ? `✗ ${what} failed [${String(fields['code'])}] after ${took}`
        : `✓ ${what} handled in ${took}`;
    this.print(`   ${outcome}  (${ids})`);
  }
}

/** The last 6 characters of an id: enough to follow a flow by eye (UUID v7s share their prefix). */
export function short(id: unknown): string {
  return typeof id === 'string' ? `…${id.slice(-6)}` : '-';
}

/** `1 transaction`, `2 transactions`. */
export function transactions(count: number): string {
  return `${count} transaction${count === 1 ? '' : 's'}`;
}
