import { ensureRule } from '@keel/ddd';
import type { Decider } from './decider.js';

/** Commands of the test wallet decider. */
export type WalletCommand =
  | { type: 'Open'; owner: string }
  | { type: 'Deposit'; amount: number }
  | { type: 'Withdraw'; amount: number }
  | { type: 'Close' };

/** Events of the test wallet decider. */
export type WalletEvent =
  | { type: 'Opened'; data: { owner: string } }
  | { type: 'Deposited'; data: { amount: number } }
  | { type: 'Withdrawn'; data: { amount: number } }
  | { type: 'Closed'; data: Record<string, never> };

/** State of the test wallet decider. */
export interface WalletState {
  readonly status: 'new' | 'open' | 'closed';
  readonly owner: string;
  readonly balance: number;
  readonly transactions: number;
}

/** A small decider used by the package's tests. */
export const wallet: Decider<WalletCommand, WalletState, WalletEvent> = {
  initialState: () => ({ status: 'new', owner: '', balance: 0, transactions: 0 }),
  decide(command, state) {
    if (command.type === 'Open') {
      ensureRule(state.status === 'new', 'wallet.open-once', 'A wallet opens once.');
      return [{ type: 'Opened', data: { owner: command.owner } }];
    }
    ensureRule(state.status === 'open', 'wallet.must-be-open', `The wallet is ${state.status}.`);
    switch (command.type) {
      case 'Deposit':
        ensureRule(command.amount > 0, 'wallet.positive', 'Deposit a positive amount.');
        return { type: 'Deposited', data: { amount: command.amount } };
      case 'Withdraw':
        ensureRule(command.amount <= state.balance, 'wallet.funds', 'Not enough money.');
        return [{ type: 'Withdrawn', data: { amount: command.amount } }];
      case 'Close':
        return [{ type: 'Closed', data: {} }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, status: 'open', owner: event.data.owner };
      case 'Deposited':
        return { ...state, balance: state.balance + event.data.amount, transactions: state.transactions + 1 };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.data.amount, transactions: state.transactions + 1 };
      case 'Closed':
        return { ...state, status: 'closed' };
    }
  },
};
