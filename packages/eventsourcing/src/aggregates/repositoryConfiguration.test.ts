import { createLogger, isValidationError } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import { describe, expect, it } from 'vitest';
import { isSnapshotsNotSupportedError } from '../errors/errors.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
import { EventSourcedRepository } from './eventSourcedRepository.js';
import { PiggyBank } from './piggyBank.fixture.js';

type TickEvents = { Ticked: Record<string, never> };

/** An aggregate that cannot be snapshotted. */
class Ticker extends AggregateRoot<string, TickEvents> {
  readonly aggregateType = 'Ticker';
  ticks = 0;
  protected readonly handlers: EventHandlers<TickEvents> = {
    Ticked: () => {
      this.ticks++;
    },
  };
  tick(): void {
    this.raise('Ticked', {});
  }
}

function recordingLogger() {
  const entries: LogEntry[] = [];
  return { entries, logger: createLogger((entry) => entries.push(entry), { level: 'debug' }) };
}

const snapshotsEvery = (n: number, store: SnapshotStore = new InMemorySnapshotStore()) => ({
  store,
  policy: everyNEvents(n),
});

describe('EventSourcedRepository configuration', () => {
  it('refuses snapshots for an aggregate that cannot be snapshotted at construction, naming the fix', () => {
    let caught: unknown;
    try {
      new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new Ticker(id), {
        snapshots: snapshotsEvery(1) as never,
      });
    } catch (error) {
      caught = error;
    }
    expect(isSnapshotsNotSupportedError(caught)).toBe(true);
    expect((caught as Error).message).toContain('override snapshotState() and restoreSnapshotState()');
  });

  it('accepts snapshots at construction for an aggregate that supports them', () => {
    const build = () =>
      new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new PiggyBank(id), {
        snapshots: snapshotsEvery(1),
      });
    expect(build).not.toThrow();
  });

  /** A factory that validates ids refuses the probe id: the check moves to the first load or save. */
  const strictTicker = (id: string) => {
    if (!id.startsWith('t-')) throw new Error(`not a ticker id: ${id}`);
    return new Ticker(id);
  };

  it('refuses them on the first load when the factory refuses the probe id', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('Ticker-t-1', [{ type: 'Ticked', data: {} }]);
    const repository = new EventSourcedRepository(store, strictTicker, {
      snapshots: snapshotsEvery(1) as never,
    });
    const error = await repository.find('t-1').catch((caught: unknown) => caught);
    expect(isSnapshotsNotSupportedError(error)).toBe(true);
  });

  it('refuses them on the first save when the factory refuses the probe id, before appending', async () => {
    const store = new InMemoryEventStore();
    const repository = new EventSourcedRepository(store, strictTicker, {
      snapshots: snapshotsEvery(1) as never,
    });
    const ticker = new Ticker('t-1');
    ticker.tick();
    const error = await repository.save(ticker).catch((caught: unknown) => caught);
    expect(isSnapshotsNotSupportedError(error)).toBe(true);
    expect(await store.streamVersion('Ticker-t-1')).toBe(0);
  });

  it('refuses a logger that is not one, and a missing factory, in one ValidationError', () => {
    let caught: unknown;
    try {
      new EventSourcedRepository(new InMemoryEventStore(), undefined as never, { logger: {} as never });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as Error).message).toContain('logger');
    expect((caught as Error).message).toContain('create');
  });

  it('keeps the defaults for options given as undefined', async () => {
    const repository = new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new Ticker(id), {
      logger: undefined,
      snapshots: undefined,
      publisher: undefined,
      streamName: undefined,
    });
    const ticker = new Ticker('t-1');
    ticker.tick();
    await repository.save(ticker);
    expect((await repository.get('t-1')).ticks).toBe(1);
  });

  it('logs a warning when a snapshot cannot be saved and no onError is set; the events stay stored', async () => {
    const { entries, logger } = recordingLogger();
    const failing: SnapshotStore = {
      load: async () => undefined,
      delete: async () => undefined,
      save: async () => Promise.reject(new Error('disk full')),
    };
    const store = new InMemoryEventStore();
    const repository = new EventSourcedRepository(store, (id: string) => new PiggyBank(id), {
      snapshots: snapshotsEvery(1, failing),
      logger,
    });
    await repository.save(PiggyBank.buy('p-1', 'Ada'));
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(1);
    const warning = entries.find((entry) => entry.level === 'warn');
    expect(warning?.message).toContain('Could not save a snapshot of stream "PiggyBank-p-1"');
    expect((warning?.fields['error'] as Error).message).toBe('disk full');
  });

  it('calls onError instead of logging when it is set', async () => {
    const { entries, logger } = recordingLogger();
    const reported: string[] = [];
    const failing: SnapshotStore = {
      load: async () => undefined,
      delete: async () => undefined,
      save: async () => Promise.reject(new Error('disk full')),
    };
    const repository = new EventSourcedRepository(
      new InMemoryEventStore(),
      (id: string) => new PiggyBank(id),
      {
        snapshots: {
          ...snapshotsEvery(1, failing),
          onError: (_error, streamName) => reported.push(streamName),
        },
        logger,
      },
    );
    await repository.save(PiggyBank.buy('p-1', 'Ada'));
    expect(reported).toEqual(['PiggyBank-p-1']);
    expect(entries.filter((entry) => entry.level === 'warn')).toEqual([]);
  });

  it('logs the snapshot it ignored and why', async () => {
    const { entries, logger } = recordingLogger();
    const snapshots = snapshotsEvery(100);
    const store = new InMemoryEventStore();
    const repository = new EventSourcedRepository(store, (id: string) => new PiggyBank(id), {
      snapshots: { ...snapshots, schemaVersion: 2 },
      logger,
    });
    await repository.save(PiggyBank.buy('p-1', 'Ada'));
    await snapshots.store.save({
      streamName: 'PiggyBank-p-1',
      version: 1,
      schemaVersion: 1,
      state: { old: true },
      takenAt: new Date(0),
    });
    await repository.get('p-1');
    const info = entries.find((entry) => entry.level === 'info');
    expect(info?.message).toBe(
      'Ignored the snapshot of stream "PiggyBank-p-1" at version 1 (its schema version is 1, not 2); rebuilt the state from every event.',
    );
  });
});
