import { describeValue, ValidationError } from '@keel/core';
import { UnknownSchemaVersionError } from '../errors/errors.js';
import { SCHEMA_VERSION_KEY, schemaVersionOf } from '../eventStore/recordedEvent.js';
import type { EventMetadata, NewEvent, RecordedEvent } from '../eventStore/recordedEvent.js';

/** One step of a chain: turns the data of schema version n into version n + 1. */
export type UpcastStep = (data: any, event: RecordedEvent) => unknown;

/**
 * The chains of an {@link Upcaster}, by event type. The step at index 0 turns version 1 into
 * version 2, index 1 turns 2 into 3, and so on: a type with `k` steps is at version `k + 1`.
 */
export type UpcasterChains = Readonly<Record<string, readonly UpcastStep[]>>;

/** Turns old events into the newest shape on read and stamps new ones with their version. */
export interface Upcaster {
  /** The newest schema version of `type` (1 when it has no chain). */
  currentVersion(type: string): number;
  /**
   * Returns `event` in the newest shape of its type, its metadata's `schemaVersion` set to
   * that version. Events already current come back unchanged (the same object).
   *
   * @throws UnknownSchemaVersionError when the event is newer than the newest known version.
   */
  upcast(event: RecordedEvent): RecordedEvent;
  /**
   * Returns `event` with `metadata.schemaVersion` set to its type's current version, unless the
   * caller already set one: an explicit version is kept, so events already in an older shape
   * (an import, a migration) are stored as such and upcast on read.
   *
   * @throws ValidationError when an explicit `schemaVersion` is not an integer >= 1.
   * @throws UnknownSchemaVersionError when it is newer than the type's current version (the
   *   event could not be read back).
   */
  stamp<TEvent extends NewEvent>(event: TEvent): TEvent;
}

/**
 * Creates an {@link Upcaster} from per-type chains. Wrap a store with `withUpcasting` so every
 * reader (repositories, deciders, projections, subscriptions) sees only the newest shapes.
 *
 * @param chains The steps per event type, oldest first.
 * @returns The upcaster.
 * @example
 * ```ts
 * const upcaster = createUpcaster({
 *   Deposited: [(v1: { amount: number }) => ({ amountCents: v1.amount * 100 })],
 * });
 * ```
 */
export function createUpcaster(chains: UpcasterChains): Upcaster {
  const frozen = new Map(Object.entries(chains).map(([type, steps]) => [type, [...steps]] as const));
  const currentVersion = (type: string): number => (frozen.get(type)?.length ?? 0) + 1;
  return Object.freeze({
    currentVersion,
    upcast(event: RecordedEvent): RecordedEvent {
      const steps = frozen.get(event.type);
      if (steps === undefined) return event;
      const version = schemaVersionOf(event);
      const current = steps.length + 1;
      if (version === current) return event;
      if (version > current) throw new UnknownSchemaVersionError(event.type, version, current);
      let data = event.data;
      for (let index = version - 1; index < steps.length; index++) {
        data = steps[index]!(data, { ...event, data });
      }
      const metadata: EventMetadata = { ...event.metadata, [SCHEMA_VERSION_KEY]: current };
      return Object.freeze({ ...event, data, metadata });
    },
    stamp<TEvent extends NewEvent>(event: TEvent): TEvent {
      const current = currentVersion(event.type);
      const explicit = (event.metadata as EventMetadata | undefined)?.[SCHEMA_VERSION_KEY];
      if (explicit === undefined)
        return { ...event, metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: current } };
      if (typeof explicit !== 'number' || !Number.isInteger(explicit) || explicit < 1) {
        throw new ValidationError(
          [
            {
              path: ['metadata', SCHEMA_VERSION_KEY],
              message: `must be an integer >= 1 (got ${describeValue(explicit)}).`,
            },
          ],
          { subject: `event "${event.type}"` },
        );
      }
      if (explicit > current) throw new UnknownSchemaVersionError(event.type, explicit, current);
      return event;
    },
  });
}
