import type { EventHandlers } from '../aggregate/aggregateEvent.js';
import { AggregateRoot } from '../aggregate/aggregateRoot.js';

/** Events of the test {@link Counter}. */
export type CounterEvents = {
  Opened: { label: string };
  Incremented: { by: number };
  Closed: Record<string, never>;
};

/** A small aggregate used by the package's tests. */
export class Counter extends AggregateRoot<
  string,
  CounterEvents,
  { label: string; total: number; closed: boolean }
> {
  readonly aggregateType = 'Counter';
  label = '';
  total = 0;
  closed = false;

  protected readonly handlers: EventHandlers<CounterEvents> = {
    Opened: ({ label }) => {
      this.label = label;
    },
    Incremented: ({ by }) => {
      this.total += by;
    },
    Closed: () => {
      this.closed = true;
    },
  };

  static open(id: string, label: string): Counter {
    const counter = new Counter(id);
    counter.raise('Opened', { label });
    return counter;
  }

  increment(by: number): void {
    this.ensure(!this.closed, 'counter.open', `Counter "${this.id}" is closed; open a new one.`);
    this.ensure(by > 0, 'counter.positive-step', () => `A step must be positive; got ${by}.`, { by });
    this.raise('Incremented', { by });
  }

  close(): void {
    this.raise('Closed', {});
  }

  protected override snapshotState(): { label: string; total: number; closed: boolean } {
    return { label: this.label, total: this.total, closed: this.closed };
  }

  protected override restoreSnapshotState(state: { label: string; total: number; closed: boolean }): void {
    this.label = state.label;
    this.total = state.total;
    this.closed = state.closed;
  }
}
