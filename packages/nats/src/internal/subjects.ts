import { NatsInvalidSubjectError, NatsOptionError } from '../errors/errors.js';

const BAD_NAME = /[\s.*>/\\]/;
const BAD_TOKEN = /[\s*>]/;

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

/** Checks a subject an event is about to be published on: literal, and under `prefix`. */
export function checkEventSubject(subject: string, prefix: string): string {
  const problem = subjectProblem(subject);
  if (problem !== undefined) throw new NatsInvalidSubjectError(String(subject), problem);
  if (!subject.startsWith(`${prefix}.`)) {
    throw new NatsInvalidSubjectError(subject, `it is not under the transport's subjectPrefix "${prefix}."`);
  }
  return subject;
}

/** Turns an event type into one subject token: whitespace, `.`, `*` and `>` become `_`. */
export function subjectToken(value: string): string {
  return value.replace(/[\s.*>]/g, '_');
}
