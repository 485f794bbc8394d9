import { ManualClock, isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchError } from '../internal/catchError.fixture.js';
import { isDomainRuleViolation } from '../errors/domainRuleViolation.js';
import {
  isAggregateStateError,
  isSnapshotNotSupportedError,
  isUnknownEventTypeError,
} from '../errors/dddErrors.js';
import type { AggregateEventOf, EventHandlers } from './aggregateEvent.js';
import { AggregateRoot } from './aggregateRoot.js';
import { Counter } from '../internal/counter.fixture.js';
import type { CounterEvents } from '../internal/counter.fixture.js';

describe('AggregateRoot', () => {
  it('starts at version 0 with no uncommitted events', () => {
    const counter = new Counter('c-1');
    expect(counter.version).toBe(0);
    expect(counter.persistedVersion).toBe(0);
    expect(counter.uncommittedEvents).toEqual([]);
    expect(counter.hasUncommittedEvents).toBe(false);
  });

  it('applies a raised event through its handler and records it as uncommitted', () => {
    const counter = Counter.open('c-1', 'visits');
    counter.increment(2);
    expect(counter.label).toBe('visits');
    expect(counter.total).toBe(2);
    expect(counter.version).toBe(2);
    expect(counter.persistedVersion).toBe(0);
    expect(counter.uncommittedEvents.map((event) => event.type)).toEqual(['Opened', 'Incremented']);
  });

  it('stamps events with the aggregate id, type, version and core metadata from the clock', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 2));
    const counter = new Counter('c-7', { clock });
    counter.increment(3);
    const [event] = counter.uncommittedEvents;
    expect(event).toMatchObject({
      type: 'Incremented',
      data: { by: 3 },
      aggregateId: 'c-7',
      aggregateType: 'Counter',
      version: 1,
    });
    expect(event?.metadata.occurredAt).toBe('2026-01-02T00:00:00.000Z');
    expect(event?.metadata.correlationId).toBe(event?.metadata.messageId);
  });

  it('names the aggregate, its stream and version in the typed metadata.aggregate of each event', () => {
    const counter = Counter.open('c-7', 'visits');
    counter.increment(3);
    expect(counter.uncommittedEvents.map((event) => event.metadata.aggregate)).toEqual([
      { type: 'Counter', id: 'c-7', stream: 'Counter-c-7', version: 1 },
      { type: 'Counter', id: 'c-7', stream: 'Counter-c-7', version: 2 },
    ]);
  });

  it('freezes raised events and their data', () => {
    const counter = Counter.open('c-1', 'x');
    const [event] = counter.uncommittedEvents;
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event?.data)).toBe(true);
    expect(Object.isFrozen(counter.uncommittedEvents)).toBe(true);
  });

  it('clears uncommitted events on markCommitted and keeps the version', () => {
    const counter = Counter.open('c-1', 'x');
    counter.increment(1);
    counter.markCommitted();
    expect(counter.uncommittedEvents).toEqual([]);
    expect(counter.version).toBe(2);
    expect(counter.persistedVersion).toBe(2);
  });

  it('throws a DomainRuleViolation with the rule name when an invariant fails and records nothing', () => {
    const counter = Counter.open('c-1', 'x');
    const caught = catchError(() => counter.increment(-1));
    expect(isDomainRuleViolation(caught, 'counter.positive-step')).toBe(true);
    expect((caught as Error).message).toBe('A step must be positive; got -1.');
    expect(counter.version).toBe(1);
    expect(counter.total).toBe(0);
  });

  it('rebuilds state from history without recording the events as uncommitted', () => {
    const source = Counter.open('c-1', 'x');
    source.increment(4);
    source.increment(5);
    const copy = new Counter('c-1').loadFromHistory(source.uncommittedEvents);
    expect(copy.total).toBe(9);
    expect(copy.version).toBe(3);
    expect(copy.persistedVersion).toBe(3);
    expect(copy.hasUncommittedEvents).toBe(false);
  });

  it('rejects a stored event type with no handler with a clear error', () => {
    const event = { ...Counter.open('c-1', 'x').uncommittedEvents[0]!, type: 'Renamed' };
    const load = () =>
      new Counter('c-1').loadFromHistory([event as unknown as AggregateEventOf<CounterEvents>]);
    expect(load).toThrow(
      /Counter has no handler for event type "Renamed" \(it handles: Opened, Incremented, Closed\)/,
    );
    expect(isUnknownEventTypeError(catchError(load))).toBe(true);
  });

  it('does not treat inherited object keys such as toString as handlers', () => {
    const event = { ...Counter.open('c-1', 'x').uncommittedEvents[0]!, type: 'toString' };
    expect(() =>
      new Counter('c-1').loadFromHistory([event as unknown as AggregateEventOf<CounterEvents>]),
    ).toThrow(/no handler for event type "toString"/);
  });

  it('refuses to load history while events are uncommitted', () => {
    const counter = Counter.open('c-1', 'x');
    const caught = catchError(() => counter.loadFromHistory([]));
    expect(isAggregateStateError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/has 1 uncommitted event\(s\)/);
  });

  it('refuses to replay an event whose version is not above the current one', () => {
    const events = Counter.open('c-1', 'x').uncommittedEvents;
    const counter = new Counter('c-1').loadFromHistory(events);
    const error = catchError(() => counter.loadFromHistory(events));
    expect(isAggregateStateError(error)).toBe(true);
    expect((error as Error).message).toMatch(/is at version 1; a replayed "Opened" event has version 1/);
    expect(counter.label).toBe('x');
  });

  it('counts versions itself for replayed events that carry none', () => {
    const [opened] = Counter.open('c-1', 'x').uncommittedEvents;
    const { version: _dropped, ...unversioned } = opened!;
    const event = unversioned as AggregateEventOf<CounterEvents>;
    const counter = new Counter('c-1').loadFromHistory([event, event]);
    expect(counter.version).toBe(2);
  });

  it('refuses to snapshot uncommitted changes', () => {
    expect(isAggregateStateError(catchError(() => Counter.open('c-1', 'x').toSnapshot()))).toBe(true);
  });

  it('restores a version set by a store', () => {
    const counter = new Counter('c-1');
    counter.restoreVersion(12);
    expect(counter.version).toBe(12);
    expect(() => counter.restoreVersion(-1)).toThrow(/integer >= 0; got -1/);
  });

  it('round-trips state and version through a snapshot', () => {
    const counter = Counter.open('c-1', 'visits');
    counter.increment(6);
    counter.markCommitted();
    const snapshot = counter.toSnapshot();
    expect(snapshot).toEqual({
      aggregateId: 'c-1',
      aggregateType: 'Counter',
      version: 2,
      state: { label: 'visits', total: 6, closed: false },
    });
    const restored = new Counter('c-1').loadFromSnapshot(snapshot);
    expect(restored.supportsSnapshots).toBe(true);
    expect([restored.label, restored.total, restored.version]).toEqual(['visits', 6, 2]);
  });

  it('says snapshots are unsupported when the aggregate does not override snapshotState', () => {
    type PingEvents = { Pinged: { at: number } };
    class Ping extends AggregateRoot<string, PingEvents> {
      readonly aggregateType = 'Ping';
      protected readonly handlers: EventHandlers<PingEvents> = { Pinged: () => {} };
    }
    const ping = new Ping('p-1');
    expect(ping.supportsSnapshots).toBe(false);
    expect(isSnapshotNotSupportedError(catchError(() => ping.toSnapshot()))).toBe(true);
  });

  it('says snapshots are unsupported when only snapshotState is overridden, since loading would fail', () => {
    type PingEvents = { Pinged: { at: number } };
    class HalfPing extends AggregateRoot<string, PingEvents, { count: number }> {
      readonly aggregateType = 'HalfPing';
      protected readonly handlers: EventHandlers<PingEvents> = { Pinged: () => {} };
      protected override snapshotState(): { count: number } {
        return { count: 0 };
      }
    }
    expect(new HalfPing('p-1').supportsSnapshots).toBe(false);
  });

  it('rejects a missing aggregateType when raising', () => {
    type PingEvents = { Pinged: Record<string, never> };
    class Nameless extends AggregateRoot<string, PingEvents> {
      readonly aggregateType = '';
      protected readonly handlers: EventHandlers<PingEvents> = { Pinged: () => {} };
      ping(): void {
        this.raise('Pinged', {});
      }
    }
    expect(() => new Nameless('n-1').ping()).toThrow(/Nameless must set aggregateType to a non-empty string/);
  });

  it('rejects a null id with a ValidationError', () => {
    expect(isValidationError(catchError(() => new Counter(null as unknown as string)))).toBe(true);
  });

  it('rebuilds the same state and version by replay for any sequence of steps', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 40 }), (steps) => {
        const source = Counter.open('c-1', 'p');
        for (const step of steps) source.increment(step);
        const replayed = new Counter('c-1').loadFromHistory(source.uncommittedEvents);
        expect(replayed.total).toBe(source.total);
        expect(replayed.version).toBe(source.version);
        expect(replayed.toSnapshot().state).toEqual({ label: 'p', total: source.total, closed: false });
      }),
    );
  });
});
