import type { Disposer, Message } from '@keel/core';
import { ALL_EVENTS } from '@keel/cqrs';
import type { EventBus } from '@keel/cqrs';
import { defineProjection } from '@keel/eventsourcing';
import type { Projection } from '@keel/eventsourcing';
import type { AccountEvents } from './account.js';

/** One row of the balances read model. */
export interface BalanceRow {
  readonly accountId: string;
  readonly owner: string;
  readonly balanceCents: number;
  readonly transactions: number;
  readonly closed: boolean;
  /** The account's stream version last applied: makes every update idempotent. */
  readonly version: number;
}

type AccountEvent = {
  [TType in keyof AccountEvents]: { type: TType; data: AccountEvents[TType] };
}[keyof AccountEvents];

/** Options of {@link BalancesReadModel}. */
export interface BalancesReadModelOptions {
  /** Told about every row that changed (for the narration). @default ignore */
  onUpdate?: (row: BalanceRow, eventType: string) => void;
}

const STREAM_PREFIX = 'Account-';

/**
 * The read side: balances and transaction counts per account. Live, it is fed by the event bus
 * ({@link BalancesReadModel.subscribeTo}); from history, by a projection over the event store
 * ({@link BalancesReadModel.projection}, run by a `ProjectionRunner` to rebuild it from zero).
 * Both paths go through one `apply`, which skips an event whose version the row already has,
 * so redelivered events (at-least-once) change nothing.
 */
export class BalancesReadModel {
  readonly #rows = new Map<string, BalanceRow>();
  readonly #onUpdate: BalancesReadModelOptions['onUpdate'];

  /** @param options See {@link BalancesReadModelOptions}. */
  constructor(options: BalancesReadModelOptions = {}) {
    this.#onUpdate = options.onUpdate;
  }

  /** The projection that rebuilds this read model from the event store. */
  readonly projection: Projection = defineProjection<AccountEvent>({
    name: 'account-balances',
    streamPrefix: STREAM_PREFIX,
    handlers: {
      AccountOpened: (event) => this.#applyRecorded(event),
      MoneyDeposited: (event) => this.#applyRecorded(event),
      MoneyWithdrawn: (event) => this.#applyRecorded(event),
      AccountClosed: (event) => this.#applyRecorded(event),
    },
    reset: () => this.#rows.clear(),
  });

  /**
   * Subscribes the read model to the account events published on `bus` (the events the
   * repository publishes after each save).
   *
   * @returns A disposer that unsubscribes it.
   */
  subscribeTo(bus: EventBus<AccountEvents>): Disposer {
    return bus.subscribe(ALL_EVENTS, (event) => this.#applyPublished(event), { name: 'balances read model' });
  }

  /** The row of one account, if it exists. */
  get(accountId: string): BalanceRow | undefined {
    return this.#rows.get(accountId);
  }

  /** Every row, by account id. */
  all(): BalanceRow[] {
    return [...this.#rows.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  /** The sum of every balance. */
  totalCents(): number {
    return this.all().reduce((sum, row) => sum + row.balanceCents, 0);
  }

  #applyRecorded(event: AccountEvent & { streamName: string; streamVersion: number }): void {
    this.#apply(event.streamName.slice(STREAM_PREFIX.length), event.streamVersion, event);
  }

  /** Bus events are the aggregate's own events: they say which account and version they made. */
  #applyPublished(event: Message): void {
    const account = event.metadata.aggregate;
    if (account?.type !== 'Account') return;
    this.#apply(account.id, account.version, event as AccountEvent);
  }

  #apply(accountId: string, version: number, event: AccountEvent): void {
    const row = this.#rows.get(accountId) ?? emptyRow(accountId);
    if (version <= row.version) return; // already applied: a redelivery
    const next = { ...row, ...change(row, event), version };
    this.#rows.set(accountId, next);
    this.#onUpdate?.(next, event.type);
  }
}

function emptyRow(accountId: string): BalanceRow {
  return { accountId, owner: '', balanceCents: 0, transactions: 0, closed: false, version: 0 };
}

function change(row: BalanceRow, event: AccountEvent): Partial<BalanceRow> {
  switch (event.type) {
    case 'AccountOpened':
      return { owner: event.data.owner };
    case 'MoneyDeposited':
      return { balanceCents: row.balanceCents + event.data.amountCents, transactions: row.transactions + 1 };
    case 'MoneyWithdrawn':
      return { balanceCents: row.balanceCents - event.data.amountCents, transactions: row.transactions + 1 };
    case 'AccountClosed':
      return { closed: true };
  }
}
