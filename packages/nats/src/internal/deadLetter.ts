import { KEEL_HEADERS } from '../codec/headers.js';

/** What is known about an event when it is dead-lettered. */
export interface DeadLetterFacts {
  readonly error: unknown;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly stream: string;
  readonly sequence: number;
  readonly consumer: string;
  readonly failedAt: string;
}

/** The longest error message written to a header. */
export const MAX_HEADER_TEXT = 1_024;

/** The error's `code` when it is a non-empty string, else its name, else `UNKNOWN_ERROR`. */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return oneLine(code, 128);
  if (error instanceof Error && error.name) return oneLine(error.name, 128);
  return 'UNKNOWN_ERROR';
}

/** `text` on one line (header values cannot hold CR or LF), cut to `max` characters. */
export function oneLine(text: string, max = MAX_HEADER_TEXT): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The error-info headers added to a dead letter. */
export function deadLetterHeaderValues(facts: DeadLetterFacts): Record<string, string> {
  const message = facts.error instanceof Error ? facts.error.message : String(facts.error);
  return {
    [KEEL_HEADERS.errorCode]: errorCodeOf(facts.error),
    [KEEL_HEADERS.errorMessage]: oneLine(message) || '(no message)',
    [KEEL_HEADERS.deliveryCount]: String(facts.deliveryCount),
    [KEEL_HEADERS.originalSubject]: facts.subject,
    [KEEL_HEADERS.originalStream]: facts.stream,
    [KEEL_HEADERS.originalSequence]: String(facts.sequence),
    [KEEL_HEADERS.consumer]: facts.consumer,
    [KEEL_HEADERS.failedAt]: facts.failedAt,
  };
}

/**
 * The headers of the original message worth keeping on its dead letter: all but JetStream's own
 * (`Nats-*`), which describe the original publish, not the dead letter.
 */
export function keptHeaders(original: Iterable<[string, string[]]> | undefined): [string, string][] {
  const kept: [string, string][] = [];
  for (const [key, values] of original ?? []) {
    if (key.toLowerCase().startsWith('nats-')) continue;
    for (const value of values) kept.push([key, value]);
  }
  return kept;
}
