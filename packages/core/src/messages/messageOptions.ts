import { ValidationError } from '../errors/errors.js';
import type { ValidationIssue } from '../errors/errors.js';
import { describeValue } from '../options/options.js';

/** The metadata fields that are ids: non-empty strings. */
const ID_FIELDS = ['messageId', 'correlationId', 'causationId'] as const;

/**
 * Checks the options of a message factory (`createMetadata` and the factories built on it) and
 * throws one {@link ValidationError} listing every problem: a cause that is not a message,
 * metadata overrides of the wrong type, a clock without `now`. Valid options allocate nothing:
 * `send(type, data, { causedBy })` runs it per message. Internal to core.
 *
 * @throws {ValidationError} subject `message options`, one issue per bad field.
 */
export function assertMessageOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw refusal([{ path: [], message: `must be an object (got ${describeValue(options)}).` }]);
  }
  const { causedBy, metadata, clock } = options as Record<string, unknown>;
  const causeProblems = causedBy === undefined ? undefined : causeIssues(causedBy);
  const metadataProblems = metadata === undefined ? undefined : metadataIssues(metadata);
  const clockOk = clock === undefined || typeof (clock as { now?: unknown } | null)?.now === 'function';
  if (causeProblems === undefined && metadataProblems === undefined && clockOk) return;
  const issues = [...(causeProblems ?? []), ...(metadataProblems ?? [])];
  if (!clockOk)
    issues.push({ path: ['clock'], message: `must be a Clock (with now) (got ${describeValue(clock)}).` });
  throw refusal(issues);
}

function refusal(issues: readonly ValidationIssue[]): ValidationError {
  return new ValidationError(issues, { subject: 'message options' });
}

/**
 * A cause is a message: metadata with a message id (and, when it has them, a correlation id and
 * tenant of text, and headers that are an object of strings, since its trace context is copied).
 */
function causeIssues(causedBy: unknown): ValidationIssue[] | undefined {
  const metadata = isObject(causedBy) ? causedBy['metadata'] : undefined;
  if (!isObject(metadata) || !isId(metadata['messageId'])) {
    const message = `must be a message: an object whose metadata has a messageId (got ${describeCause(causedBy)}).`;
    return [{ path: ['causedBy'], message }];
  }
  const { correlationId, tenantId, headers } = metadata;
  let issues: ValidationIssue[] | undefined;
  if (correlationId !== undefined && !isId(correlationId)) {
    const message = `must be a non-empty string (got ${describeValue(correlationId)}).`;
    (issues ??= []).push({ path: ['causedBy', 'metadata', 'correlationId'], message });
  }
  if (tenantId !== undefined && typeof tenantId !== 'string') {
    const message = `must be a string (got ${describeValue(tenantId)}).`;
    (issues ??= []).push({ path: ['causedBy', 'metadata', 'tenantId'], message });
  }
  const bad = headers === undefined ? undefined : badHeader(headers);
  if (bad !== undefined) {
    const message = `must be an object of string values (got ${bad}).`;
    (issues ??= []).push({ path: ['causedBy', 'metadata', 'headers'], message });
  }
  return issues;
}

function metadataIssues(metadata: unknown): ValidationIssue[] | undefined {
  if (!isObject(metadata)) {
    return [{ path: ['metadata'], message: `must be an object (got ${describeValue(metadata)}).` }];
  }
  let issues: ValidationIssue[] | undefined;
  const problem = (path: string[], message: string): void => {
    (issues ??= []).push({ path: ['metadata', ...path], message });
  };
  for (const field of ID_FIELDS) {
    const value = metadata[field];
    if (value !== undefined && !isId(value))
      problem([field], `must be a non-empty string (got ${describeValue(value)}).`);
  }
  const { tenantId, occurredAt, headers, aggregate } = metadata;
  if (tenantId !== undefined && typeof tenantId !== 'string') {
    problem(['tenantId'], `must be a string (got ${describeValue(tenantId)}).`);
  }
  if (occurredAt !== undefined && !isInstant(occurredAt)) {
    problem(
      ['occurredAt'],
      `must be an ISO-8601 date and time with a zone, e.g. 2026-12-04T10:00:00.000Z (got ${describeValue(occurredAt)}).`,
    );
  }
  if (headers !== undefined) {
    const bad = badHeader(headers);
    if (bad !== undefined) problem(['headers'], `must be an object of string values (got ${bad}).`);
  }
  if (aggregate !== undefined && !isObject(aggregate)) {
    problem(['aggregate'], `must be { type, id, stream, version } (got ${describeValue(aggregate)}).`);
  } else if (aggregate !== undefined) {
    for (const field of ['type', 'id', 'stream'] as const) {
      const value = aggregate[field];
      if (typeof value !== 'string')
        problem(['aggregate', field], `must be a string (got ${describeValue(value)}).`);
    }
    const { version } = aggregate;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
      problem(['aggregate', 'version'], `must be an integer >= 0 (got ${describeValue(version)}).`);
    }
  }
  return issues;
}

/** What is wrong with `headers` (`"user": 5`), or `undefined` when it is an object of strings. */
function badHeader(headers: unknown): string | undefined {
  if (!isObject(headers)) return describeValue(headers);
  for (const name in headers) {
    const value = headers[name];
    if (Object.hasOwn(headers, name) && typeof value !== 'string')
      return `${JSON.stringify(name)}: ${describeValue(value)}`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function describeCause(value: unknown): string {
  if (!isObject(value)) return describeValue(value);
  return isObject(value['metadata']) ? 'metadata without a messageId' : 'an object without metadata';
}

/**
 * An ISO-8601 date and time with seconds optional, a fraction and a zone (`Z` or `±hh:mm`), that
 * names a real instant: what `toISOString` writes and every store reads back the same. `Date.parse`
 * alone also takes `'1'`, `'2026'` or a local time, which a database reads differently or refuses.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

function isInstant(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const date = INSTANT.exec(value);
  if (date === null || Number.isNaN(Date.parse(value))) return false;
  // `Date.parse` rolls 2026-02-30 over into March; a database refuses it.
  const [, year, month, day] = date.map(Number) as [number, number, number, number];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
