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
  /** The global position of the last event applied: makes the handlers idempotent. */
  readonly lastPosition: number;
}

type AccountEvent = {
  [TType in keyof AccountEvents]: { type: TType; data: AccountEvents[TType] };
}[keyof AccountEvents];

/**
 * The read side: balances and transaction counts per account, kept by a projection. It is
 * idempotent (each row remembers the last position applied), as at-least-once delivery needs.
 */
export class BalancesReadModel {
  readonly #rows = new Map<string, BalanceRow>();

  /** The projection that feeds this read model; run it with a `ProjectionRunner`. */
  readonly projection: Projection = defineProjection<AccountEvent>({
    name: 'account-balances',
    streamPrefix: 'Account-',
    handlers: {
      AccountOpened: (event) =>
        this.#apply(event.streamName, event.globalPosition, () => ({
          owner: event.data.owner,
          balanceCents: 0,
          transactions: 0,
          closed: false,
        })),
      MoneyDeposited: (event) =>
        this.#apply(event.streamName, event.globalPosition, (row) => ({
          balanceCents: row.balanceCents + event.data.amountCents,
          transactions: row.transactions + 1,
        })),
      MoneyWithdrawn: (event) =>
        this.#apply(event.streamName, event.globalPosition, (row) => ({
          balanceCents: row.balanceCents - event.data.amountCents,
          transactions: row.transactions + 1,
        })),
      AccountClosed: (event) => this.#apply(event.streamName, event.globalPosition, () => ({ closed: true })),
    },
    reset: () => this.#rows.clear(),
  });

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

  #apply(streamName: string, position: number, change: (row: BalanceRow) => Partial<BalanceRow>): void {
    const accountId = streamName.slice('Account-'.length);
    const row = this.#rows.get(accountId) ?? {
      accountId,
      owner: '',
      balanceCents: 0,
      transactions: 0,
      closed: false,
      lastPosition: 0,
    };
    if (position <= row.lastPosition) return; // already applied: a redelivery
    this.#rows.set(accountId, { ...row, ...change(row), lastPosition: position });
  }
}
