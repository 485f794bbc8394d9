import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';

/** Events of the test piggy bank. */
export type PiggyBankEvents = {
  Bought: { owner: string };
  CoinAdded: { cents: number };
  Smashed: Record<string, never>;
};

/** Snapshot state of the test piggy bank. */
export interface PiggyBankState {
  owner: string;
  cents: number;
  smashed: boolean;
}

/** A small event-sourced aggregate used by the package's tests. */
export class PiggyBank extends AggregateRoot<string, PiggyBankEvents, PiggyBankState> {
  readonly aggregateType = 'PiggyBank';
  owner = '';
  cents = 0;
  smashed = false;

  protected readonly handlers: EventHandlers<PiggyBankEvents> = {
    Bought: ({ owner }) => {
      this.owner = owner;
    },
    CoinAdded: ({ cents }) => {
      this.cents += cents;
    },
    Smashed: () => {
      this.smashed = true;
    },
  };

  static buy(id: string, owner: string): PiggyBank {
    const bank = new PiggyBank(id);
    bank.raise('Bought', { owner });
    return bank;
  }

  addCoin(cents: number): void {
    this.ensure(!this.smashed, 'piggy-bank.intact', `Piggy bank "${this.id}" is smashed.`);
    this.ensure(cents > 0, 'piggy-bank.positive-coin', `A coin is worth more than 0; got ${cents}.`);
    this.raise('CoinAdded', { cents });
  }

  smash(): void {
    this.ensure(!this.smashed, 'piggy-bank.intact', `Piggy bank "${this.id}" is already smashed.`);
    this.raise('Smashed', {});
  }

  protected override snapshotState(): PiggyBankState {
    return { owner: this.owner, cents: this.cents, smashed: this.smashed };
  }

  protected override restoreSnapshotState(state: PiggyBankState): void {
    this.owner = state.owner;
    this.cents = state.cents;
    this.smashed = state.smashed;
  }
}
