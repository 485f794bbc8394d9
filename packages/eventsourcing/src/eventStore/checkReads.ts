import {
  assertOptions,
  describeValue,
  optionFunction,
  optionInteger,
  optionObject,
  optionOneOf,
} from '@keel/core';
import type { OptionChecks, OptionProblem } from '@keel/core';
import { checkOptionsObject } from './checkOptions.js';
import { MAX_EVENT_TYPE_LENGTH, streamNameProblem, textProblem } from './names.js';

/** A stream version or global position to start from: an integer from 0 to 2^53 - 1. */
const start = (value: unknown): OptionProblem => optionInteger(value, { min: 0 });
/** A page size: an integer >= 1. */
const pageSize = (value: unknown): OptionProblem => optionInteger(value, { min: 1 });
/** A maximum count: an integer >= 0, or Infinity (the default). */
const maxCount = (value: unknown): OptionProblem => optionInteger(value, { min: 0, infinity: true });
const signal = (value: unknown): OptionProblem =>
  optionObject(value, 'an AbortSignal', ['addEventListener', 'removeEventListener']);

function listProblem(value: unknown, item: (entry: unknown) => OptionProblem, what: string): OptionProblem {
  if (!Array.isArray(value)) return `must be an array of ${what} (got ${describeValue(value)}).`;
  for (const [index, entry] of value.entries()) {
    const problem = item(entry);
    if (problem !== undefined) return `[${index}] ${problem}`;
  }
  return undefined;
}

/** The checks of an `EventFilter` option. */
function filterChecks(filter: unknown): OptionChecks {
  if (filter === undefined) return {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    return { filter: `must be an EventFilter object (got ${describeValue(filter)}).` };
  const { eventTypes, streamPrefix } = filter as Record<string, unknown>;
  const prefix = (entry: unknown): OptionProblem => textProblem(entry, { allowEmpty: true });
  return {
    'filter.eventTypes':
      eventTypes === undefined
        ? undefined
        : listProblem(
            eventTypes,
            (entry) => textProblem(entry, { max: MAX_EVENT_TYPE_LENGTH }),
            'event types',
          ),
    'filter.streamPrefix':
      streamPrefix === undefined
        ? undefined
        : typeof streamPrefix === 'string'
          ? prefix(streamPrefix)
          : listProblem(streamPrefix, prefix, 'strings'),
  };
}

/**
 * Refuses `readStream` / `readStreamPages` arguments no store can serve, with one
 * `ValidationError` listing every problem, so every store refuses them alike instead of reading
 * nothing (in memory) or failing in SQL: the stream name (see `checkStreamName`), `direction`
 * other than `'forward'`/`'backward'`, `fromVersion` that is not an integer from 0 to 2^53 - 1,
 * `maxCount` that is not an integer >= 0 or `Infinity`, `pageSize` that is not an integer >= 1
 * (NaN, negative, fractional, `null` or non-numbers are all refused; only `undefined` means the
 * default), and a `signal` that is not an `AbortSignal`.
 *
 * @param streamName The stream to read.
 * @param options The read options exactly as the caller passed them.
 * @throws ValidationError listing every problem.
 * @example
 * ```ts
 * readStreamPages(streamName, options = {}) { checkReadStreamOptions(streamName, options); ... }
 * ```
 */
export function checkReadStreamOptions(streamName: unknown, options: unknown): void {
  const bag = checkOptionsObject(options, 'readStream');
  assertOptions('readStream', {
    streamName: streamNameProblem(streamName),
    direction: optionOneOf(bag['direction'], ['forward', 'backward']),
    fromVersion: start(bag['fromVersion']),
    maxCount: maxCount(bag['maxCount']),
    pageSize: pageSize(bag['pageSize']),
    signal: signal(bag['signal']),
  });
}

/**
 * Refuses `readAll` / `readAllPages` options no store can serve, like
 * {@link checkReadStreamOptions}: `fromPosition` (an integer from 0 to 2^53 - 1), `maxCount`,
 * `pageSize`, `signal`, and a `filter` whose `eventTypes` is not an array of valid event types
 * or whose `streamPrefix` is not a string or an array of strings (without NUL or lone surrogates).
 *
 * @param options The read options exactly as the caller passed them.
 * @throws ValidationError listing every problem.
 */
export function checkReadAllOptions(options: unknown): void {
  const bag = checkOptionsObject(options, 'readAll');
  assertOptions('readAll', {
    fromPosition: start(bag['fromPosition']),
    maxCount: maxCount(bag['maxCount']),
    pageSize: pageSize(bag['pageSize']),
    signal: signal(bag['signal']),
    ...filterChecks(bag['filter']),
  });
}

/**
 * Refuses `subscribeToStream` arguments no store can serve: the stream name, `fromVersion`,
 * `pageSize`, `signal`, and an `onCaughtUp` that is not a function. Call it when the
 * subscription is created, before its first read.
 *
 * @param streamName The stream to subscribe to.
 * @param options The subscription options exactly as the caller passed them.
 * @throws ValidationError listing every problem.
 */
export function checkSubscribeToStreamOptions(streamName: unknown, options: unknown): void {
  const bag = checkOptionsObject(options, 'subscribeToStream');
  assertOptions('subscribeToStream', {
    streamName: streamNameProblem(streamName),
    fromVersion: start(bag['fromVersion']),
    pageSize: pageSize(bag['pageSize']),
    signal: signal(bag['signal']),
    onCaughtUp: optionFunction(bag['onCaughtUp']),
  });
}

/**
 * Refuses `subscribeToAll` options no store can serve: `fromPosition`, `pageSize`, `signal`,
 * `onCaughtUp` and `filter`, with the rules of {@link checkReadAllOptions}.
 *
 * @param options The subscription options exactly as the caller passed them.
 * @throws ValidationError listing every problem.
 */
export function checkSubscribeToAllOptions(options: unknown): void {
  const bag = checkOptionsObject(options, 'subscribeToAll');
  assertOptions('subscribeToAll', {
    fromPosition: start(bag['fromPosition']),
    pageSize: pageSize(bag['pageSize']),
    signal: signal(bag['signal']),
    onCaughtUp: optionFunction(bag['onCaughtUp']),
    ...filterChecks(bag['filter']),
  });
}
