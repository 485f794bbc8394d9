import { NatsInvalidSubjectError, NatsOptionError } from '../errors/errors.js';

const BAD_NAME = /[\s.*>/\\]/;
const BAD_TOKEN = /[\s*>]/;

/**
 * The longest subject, in UTF-8 bytes, that Keel publishes or subscribes with. A NATS server
 * refuses a protocol line longer than `max_control_line` (4096 bytes by default) by dropping the
 * whole connection; the line holds the subject, the reply inbox and the sizes, so Keel stays well
 * below, with room for long inbox prefixes and for JetStream API subjects that embed a filter.
 */
export const MAX_SUBJECT_BYTES = 1024;

const encoder = new TextEncoder();

/** The UTF-8 length of `value` (exact once it could exceed {@link MAX_SUBJECT_BYTES}). */
export function utf8Length(value: string): number {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  return value.length * 3 <= MAX_SUBJECT_BYTES ? value.length : encoder.encode(value).length;
}

/** Checks a stream or durable consumer name: non-empty, no whitespace, `.`, `*`, `>`, `/` or `\`. */
export function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || BAD_NAME.test(value)) {
    throw new NatsOptionError(
      option,
      'a name of 1-255 characters without whitespace, ".", "*", ">", "/" or "\\"',
      value,
    );
  }
  return value;
}

/** Why `subject` is not a literal subject (no wildcards, no empty tokens, no whitespace), or `undefined`. */
export function subjectProblem(subject: unknown): string | undefined {
  if (typeof subject !== 'string' || subject.length === 0) return 'it is empty or not a string';
  const bytes = utf8Length(subject);
  if (bytes > MAX_SUBJECT_BYTES) {
    return `it is ${bytes} bytes long in UTF-8 and Keel allows at most ${MAX_SUBJECT_BYTES} (a NATS server drops the connection on a protocol line over its max_control_line, 4096 bytes by default)`;
  }
  const tokens = subject.split('.');
  if (tokens.some((token) => token.length === 0))
    return 'it has an empty token (leading, trailing or double ".")';
  if (tokens.some((token) => BAD_TOKEN.test(token))) return 'it contains whitespace or a wildcard ("*", ">")';
  return undefined;
}

/** Checks a literal subject option. */
export function checkSubject(option: string, value: unknown): string {
  const problem = subjectProblem(value);
  if (problem !== undefined) throw new NatsOptionError(option, `a literal NATS subject (${problem})`, value);
  return value as string;
}

const SHORTEN = '; shorten the event type, or map it to a shorter subject with the subject option';

/** Checks a subject an event is about to be published on: literal, and under `prefix`. */
export function checkEventSubject(subject: string, prefix: string): string {
  const problem = subjectProblem(subject);
  if (problem !== undefined) {
    const hint = typeof subject === 'string' && utf8Length(subject) > MAX_SUBJECT_BYTES ? SHORTEN : '';
    throw new NatsInvalidSubjectError(String(subject), problem + hint);
  }
  if (!subject.startsWith(`${prefix}.`)) {
    throw new NatsInvalidSubjectError(subject, `it is not under the transport's subjectPrefix "${prefix}."`);
  }
  return subject;
}

/** Turns an event type into one subject token: whitespace, `.`, `*` and `>` become `_`. */
export function subjectToken(value: string): string {
  return value.replace(/[\s.*>]/g, '_');
}
