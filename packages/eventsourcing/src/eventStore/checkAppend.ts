import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';
import { ANY, isExpectedVersion } from './expectedVersion.js';
import type { ExpectedVersion } from './expectedVersion.js';
import {
  describeName,
  MAX_EVENT_ID_LENGTH,
  MAX_EVENT_TYPE_LENGTH,
  streamNameProblem,
  textProblem,
} from './names.js';

/** Past this many problems in the events, the rest are summed up in one issue. */
const MAX_EVENT_ISSUES = 10;

/**
 * Refuses an append no store can carry out, with one `ValidationError` listing every problem,
 * and returns the expected version to use. Every store calls it first, before any effect, so
 * all stores refuse the same appends with the same error:
 *
 * - the stream name must pass `checkStreamName` (a non-empty string of at most
 *   `MAX_STREAM_NAME_LENGTH` UTF-16 code units, without NUL or lone surrogates);
 * - the expected version must be `undefined` (meaning `ANY`), an integer from 0 to 2^53 - 1,
 *   `NO_STREAM`, `STREAM_EXISTS` or `ANY`; `null` or any other value is refused, never read as
 *   `ANY`;
 * - `events` (when passed) must be an array of objects without holes, each with a `type` that
 *   is a non-empty string of at most `MAX_EVENT_TYPE_LENGTH` characters, an `eventId` (or,
 *   without one, a string `metadata.messageId`) that is a non-empty string of at most
 *   `MAX_EVENT_ID_LENGTH` characters, and `metadata` that is absent or a plain object (its
 *   prototype `Object.prototype` or `null`: a `Date`, a boxed string or a class instance is
 *   refused). Neither may hold NUL or lone surrogates. (Event `data` and `metadata` values are checked when they are serialized, with
 *   core's `SerializationError`.)
 *
 * @param streamName The stream appended to.
 * @param expectedVersion The append's `expectedVersion` option exactly as the caller passed it.
 * @param events The events of the append (checked when given).
 * @returns The expected version to use: `ANY` when `expectedVersion` is `undefined`.
 * @throws ValidationError listing every problem.
 * @example
 * ```ts
 * const expected = checkAppend(streamName, options.expectedVersion, events);
 * ```
 */
export function checkAppend(
  streamName: unknown,
  expectedVersion: unknown,
  events?: unknown,
): ExpectedVersion {
  const issues: ValidationIssue[] = [];
  const nameProblem = streamNameProblem(streamName);
  if (nameProblem !== undefined) issues.push({ path: ['streamName'], message: nameProblem });
  if (expectedVersion !== undefined && !isExpectedVersion(expectedVersion)) {
    issues.push({
      path: ['expectedVersion'],
      message: `must be an integer from 0 to 2^53 - 1, NO_STREAM, STREAM_EXISTS or ANY (got ${describeName(expectedVersion)}).`,
    });
  }
  if (events !== undefined) issues.push(...eventIssues(events));
  if (issues.length > 0) throw new ValidationError(issues, { subject: 'append' });
  return (expectedVersion ?? ANY) as ExpectedVersion;
}

function eventIssues(events: unknown): ValidationIssue[] {
  if (!Array.isArray(events)) return [{ path: ['events'], message: 'must be an array of events.' }];
  const issues: ValidationIssue[] = [];
  let more = 0;
  // An index loop, not forEach: a hole ([e1, , e3]) must be refused, not skipped.
  for (let index = 0; index < events.length; index++) {
    for (const issue of issuesOfEvent(events[index], index)) {
      if (issues.length < MAX_EVENT_ISSUES) issues.push(issue);
      else more++;
    }
  }
  if (more > 0) issues.push({ path: ['events'], message: `has ${more} more problems like these.` });
  return issues;
}

function issuesOfEvent(event: unknown, index: number): ValidationIssue[] {
  const at = (key: string): PropertyKey[] => ['events', index, key];
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return [{ path: ['events', index], message: `must be an event object (got ${describeName(event)}).` }];
  const { type, eventId, metadata } = event as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const typeProblem = textProblem(type, { max: MAX_EVENT_TYPE_LENGTH });
  if (typeProblem !== undefined) issues.push({ path: at('type'), message: typeProblem });
  if (eventId !== undefined) {
    const idProblem = textProblem(eventId, { max: MAX_EVENT_ID_LENGTH });
    if (idProblem !== undefined) issues.push({ path: at('eventId'), message: idProblem });
  }
  if (metadata !== undefined && !isPlainObject(metadata)) {
    issues.push({ path: at('metadata'), message: `must be a plain object (got ${kindOf(metadata)}).` });
  } else if (eventId === undefined && metadata !== undefined) {
    // Without an eventId, a string messageId becomes the event's id.
    const messageId = (metadata as Record<string, unknown>)['messageId'];
    if (typeof messageId === 'string' && messageId.length > 0) {
      const idProblem = textProblem(messageId, { max: MAX_EVENT_ID_LENGTH });
      if (idProblem !== undefined)
        issues.push({ path: ['events', index, 'metadata', 'messageId'], message: idProblem });
    }
  }
  return issues;
}

/**
 * Whether `value` is a plain object: its prototype is `Object.prototype` or `null` (or another
 * realm's `Object.prototype`), so it is stored as its own properties and read back as it was.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** What a refused metadata value is, e.g. `a Date` or `null`. */
function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return describeName(value);
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object that is not plain';
}
