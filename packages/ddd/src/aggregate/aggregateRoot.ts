import { createMetadata, systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { Entity } from '../entity/entity.js';
import { ensureRule } from '../errors/domainRuleViolation.js';
import {
  AggregateStateError,
  SnapshotNotSupportedError,
  UnknownEventTypeError,
} from '../errors/dddErrors.js';
import { deepFreeze, idToString } from '../internal/structural.js';
import type {
  AggregateEvent,
  AggregateEventOf,
  EventHandlers,
  EventMap,
  RaiseOptions,
} from './aggregateEvent.js';
import type { AggregateSnapshot } from './aggregateTypes.js';

/** Options of the {@link AggregateRoot} constructor. */
export interface AggregateRootOptions {
  /** Fills `occurredAt` of raised events. @default systemClock */
  clock?: Clock;
}

/**
 * The consistency boundary of a domain model: an {@link Entity} that changes only by raising
 * domain events, each applied by a typed handler, and that tracks its version for optimistic
 * concurrency.
 *
 * Lifecycle, as repositories (state-based or event-sourced) use it:
 * - **create empty**: `new Order(id)`; the constructor takes only the id (and options) and
 *   sets no state, so a repository can build an empty instance and replay into it. Put
 *   creation logic in a static factory that calls `raise()`.
 * - **replay**: {@link loadFromHistory} applies stored events through the same handlers
 *   without recording them; the version follows the events.
 * - **change**: domain methods check rules with {@link ensure} and call {@link raise}, which
 *   applies the event and records it as uncommitted; {@link version} grows by one per event.
 * - **save**: a repository reads {@link uncommittedEvents}, expects the stored version to equal
 *   {@link persistedVersion}, writes, then calls {@link markCommitted}.
 * - **snapshots** (optional): override {@link snapshotState} and {@link restoreSnapshotState};
 *   then {@link toSnapshot} and {@link loadFromSnapshot} work and {@link supportsSnapshots} is
 *   `true`. Without overrides `toSnapshot()` throws `SnapshotNotSupportedError`.
 *
 * All state changes must go through handlers: that is what makes replay rebuild the same state.
 *
 * @typeParam TId - The identity type.
 * @typeParam TEvents - The {@link EventMap} of events this aggregate raises.
 * @typeParam TSnapshot - The snapshot state type, if the aggregate supports snapshots.
 * @example
 * ```ts
 * type CounterEvents = { Incremented: { by: number } };
 * class Counter extends AggregateRoot<string, CounterEvents> {
 *   readonly aggregateType = 'Counter';
 *   total = 0;
 *   protected readonly handlers: EventHandlers<CounterEvents> = {
 *     Incremented: ({ by }) => { this.total += by; },
 *   };
 *   increment(by: number): void {
 *     this.ensure(by > 0, 'counter.positive-step', `A step must be positive; got ${by}.`);
 *     this.raise('Incremented', { by });
 *   }
 * }
 * ```
 */
export abstract class AggregateRoot<TId, TEvents extends EventMap, TSnapshot = never> extends Entity<TId> {
  /** The aggregate's type name, carried by its events (e.g. `Order`). Must be a non-empty string. */
  abstract readonly aggregateType: string;

  /** One handler per event type; see {@link EventHandlers}. */
  protected abstract readonly handlers: EventHandlers<TEvents>;

  #version = 0;
  #uncommitted: AggregateEventOf<TEvents>[] = [];
  readonly #clock: Clock;

  /**
   * @param id - The aggregate id.
   * @param options - See {@link AggregateRootOptions}.
   */
  constructor(id: TId, options: AggregateRootOptions = {}) {
    super(id);
    this.#clock = options.clock ?? systemClock;
  }

  /** The version including uncommitted events: 0 for a new aggregate, +1 per event. */
  get version(): number {
    return this.#version;
  }

  /** The version as last loaded or saved: {@link version} minus the uncommitted events. The expected version for a save. */
  get persistedVersion(): number {
    return this.#version - this.#uncommitted.length;
  }

  /** Events raised since the last load or {@link markCommitted}, oldest first (a frozen copy). */
  get uncommittedEvents(): readonly AggregateEventOf<TEvents>[] {
    return Object.freeze([...this.#uncommitted]);
  }

  /** Whether there are events not yet saved. */
  get hasUncommittedEvents(): boolean {
    return this.#uncommitted.length > 0;
  }

  /**
   * The id as a string, as it appears in events (`aggregateId`) and stream names: strings as
   * they are, numbers with `String`, value-object ids as key-sorted JSON of their props
   * (`{"code":"A1","region":"EU"}`), with tokens JSON never prints where JSON would merge
   * values (`NaN`, `Infinity`, `undefined`, `12n`), so unequal ids never share a string.
   */
  get idString(): string {
    return idToString(this.id);
  }

  /**
   * Whether this aggregate overrides both {@link snapshotState} and {@link restoreSnapshotState},
   * so {@link toSnapshot} and {@link loadFromSnapshot} both work.
   */
  get supportsSnapshots(): boolean {
    return (
      this.snapshotState !== AggregateRoot.prototype.snapshotState &&
      this.restoreSnapshotState !== AggregateRoot.prototype.restoreSnapshotState
    );
  }

  /** Forgets the uncommitted events after a successful save; {@link persistedVersion} becomes {@link version}. */
  markCommitted(): void {
    this.#uncommitted = [];
  }

  /**
   * Replays stored events through the handlers without recording them. Each event's `version`
   * becomes the aggregate's version (or, when an event has none, the version grows by one).
   *
   * @param events - Stored events, oldest first.
   * @returns this aggregate, for chaining.
   * @throws {UnknownEventTypeError} when an event type has no handler.
   * @throws {AggregateStateError} when the aggregate has uncommitted events, or an event's
   * version is not above the aggregate's (replayed twice or out of order).
   */
  loadFromHistory(events: Iterable<AggregateEventOf<TEvents>>): this {
    this.#assertNothingUncommitted('load history into it');
    for (const event of events) {
      const next = typeof event.version === 'number' ? event.version : this.#version + 1;
      if (next <= this.#version) {
        throw new AggregateStateError(
          `${this.#typeName()} "${this.idString}" is at version ${this.#version}; a replayed "${event.type}" event ` +
            `has version ${next}. Replay events oldest first, each once.`,
        );
      }
      this.#apply(event);
      this.#version = next;
    }
    return this;
  }

  /**
   * Sets the version of an aggregate that has no uncommitted events, e.g. when a store numbers
   * events itself. Most code never needs this: loading and raising keep the version.
   *
   * @throws {AggregateStateError} when `version` is not an integer >= 0 or events are uncommitted.
   */
  restoreVersion(version: number): void {
    this.#assertNothingUncommitted('set its version');
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new AggregateStateError(`A version must be an integer >= 0; got ${version}.`);
    }
    this.#version = version;
  }

  /**
   * Captures the saved state for a snapshot store (only of a committed aggregate, so a snapshot
   * never holds changes that were not stored).
   *
   * @throws {SnapshotNotSupportedError} when {@link snapshotState} is not overridden.
   * @throws {AggregateStateError} when the aggregate has uncommitted events.
   */
  toSnapshot(): AggregateSnapshot<TSnapshot> {
    this.#assertNothingUncommitted('snapshot it');
    return Object.freeze({
      aggregateId: this.idString,
      aggregateType: this.aggregateType,
      version: this.#version,
      state: this.snapshotState(),
    });
  }

  /**
   * Restores state and version from a snapshot; replay newer events afterwards with
   * {@link loadFromHistory}.
   *
   * @throws {SnapshotNotSupportedError} when {@link restoreSnapshotState} is not overridden.
   * @throws {AggregateStateError} when the aggregate has uncommitted events or the snapshot's
   * version is invalid.
   */
  loadFromSnapshot(snapshot: AggregateSnapshot<TSnapshot>): this {
    this.#assertNothingUncommitted('load a snapshot into it');
    this.restoreSnapshotState(snapshot.state);
    this.restoreVersion(snapshot.version);
    return this;
  }

  /**
   * Returns the state to snapshot. Override (with {@link restoreSnapshotState}) to support
   * snapshots; the default throws.
   */
  protected snapshotState(): TSnapshot {
    throw new SnapshotNotSupportedError(this.aggregateType);
  }

  /** Sets the state from a snapshot; the counterpart of {@link snapshotState}. The default throws. */
  protected restoreSnapshotState(_state: TSnapshot): void {
    throw new SnapshotNotSupportedError(this.aggregateType);
  }

  /**
   * Records a new event: builds it with core metadata, applies it through its handler, then
   * adds it to the uncommitted events. If the handler throws, nothing is recorded. The event's
   * `metadata.aggregate` names this aggregate, its version and its stream (`<type>-<id>`; an
   * event-sourced repository with its own stream names puts its stream there when saving).
   *
   * @param type - The event type; must be a key of `TEvents` (a compile error otherwise).
   * @param data - The payload; frozen deeply once raised.
   * @param options - Causation and metadata overrides.
   * @returns the raised event.
   */
  protected raise<TType extends keyof TEvents & string>(
    type: TType,
    data: TEvents[TType],
    options: RaiseOptions = {},
  ): AggregateEvent<TType, TEvents[TType]> {
    const aggregateType = this.#typeName();
    const aggregateId = this.idString;
    const version = this.#version + 1;
    // The typed identity the event bus orders by and handlers read, whatever transport carries it.
    const aggregate = {
      type: aggregateType,
      id: aggregateId,
      stream: `${aggregateType}-${aggregateId}`,
      version,
    };
    const event: AggregateEvent<TType, TEvents[TType]> = Object.freeze({
      type,
      data: deepFreeze(data),
      metadata: createMetadata({
        ...options,
        metadata: { ...options.metadata, aggregate },
        clock: this.#clock,
      }),
      aggregateId,
      aggregateType,
      version,
    });
    this.#apply(event as unknown as AggregateEventOf<TEvents>);
    this.#uncommitted.push(event as unknown as AggregateEventOf<TEvents>);
    this.#version += 1;
    return event;
  }

  /**
   * Asserts a business rule; see {@link ensureRule}. After it, TypeScript narrows `condition`
   * (e.g. `this.ensure(item !== undefined, …)` makes `item` defined).
   *
   * TypeScript accepts an assertion call only through names with a declared type (error TS2775
   * otherwise): `this.ensure(…)` always compiles, but on a local variable, e.g. in a static
   * factory, give the variable its type (`const order: Order = new Order(id)`) or check the rule
   * with the standalone {@link ensureRule} before building the aggregate.
   *
   * @throws {DomainRuleViolation} when `condition` is falsy.
   * @example
   * ```ts
   * static place(id: OrderId, items: readonly Item[]): Order {
   *   const order: Order = new Order(id); // the annotation lets order.ensure(…) compile
   *   order.ensure(items.length > 0, 'order.not-empty', 'An order needs at least one item.');
   *   order.raise('OrderPlaced', { items });
   *   return order;
   * }
   * ```
   */
  protected ensure(
    condition: unknown,
    rule: string,
    message: string | (() => string),
    details?: Readonly<Record<string, unknown>>,
  ): asserts condition {
    ensureRule(condition, rule, message, details);
  }

  #apply(event: AggregateEventOf<TEvents>): void {
    const handlers = this.handlers as Record<string, (data: unknown, event: unknown) => void>;
    const handler = Object.prototype.hasOwnProperty.call(handlers, event.type)
      ? handlers[event.type]
      : undefined;
    if (typeof handler !== 'function') {
      throw new UnknownEventTypeError(this.#typeName(), String(event.type), Object.keys(handlers));
    }
    handler.call(this, event.data, event);
  }

  #typeName(): string {
    if (typeof this.aggregateType !== 'string' || this.aggregateType.length === 0) {
      throw new AggregateStateError(
        `${this.constructor.name} must set aggregateType to a non-empty string; got ${String(this.aggregateType)}.`,
      );
    }
    return this.aggregateType;
  }

  #assertNothingUncommitted(action: string): void {
    if (this.#uncommitted.length > 0) {
      throw new AggregateStateError(
        `${this.aggregateType} "${this.idString}" has ${this.#uncommitted.length} uncommitted event(s); ` +
          `save or discard them before you ${action}.`,
      );
    }
  }
}
