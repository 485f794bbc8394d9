import { defineSaga, InMemorySagaStore, SagaOrchestrator } from '@keel/saga';
import type { SagaOutcome, SagaStore } from '@keel/saga';
import type { Bank } from './bank.js';

/** What a transfer moves: `amountCents` from account `from` to account `to`. */
export interface TransferInput {
  readonly from: string;
  readonly to: string;
  readonly amountCents: number;
}

/**
 * A transfer between two accounts (two aggregates, so two transactions) as a saga: withdraw
 * from the source, then deposit into the target; when the deposit is refused (the target is
 * closed), the withdrawal is undone by a deposit back into the source.
 *
 * Each command's message id is the step's idempotency key, so the bus's idempotency middleware
 * applies it once even when a step runs again after a crash. A compensation whose step's
 * outcome is unknown (it may or may not have run) first sends the withdrawal again under the
 * same key, which is a no-op if it ran and does it if it did not; then it pays the money back.
 */
export function defineTransfer(bank: Pick<Bank, 'commands'>) {
  const { commands } = bank;
  const withdraw = (input: TransferInput, messageId: string) =>
    commands.send(
      'WithdrawMoney',
      { accountId: input.from, amountCents: input.amountCents },
      { metadata: { messageId } },
    );
  return defineSaga('transfer-money')
    .input<TransferInput>()
    .step('withdraw', {
      run: ({ input, idempotencyKey }) => withdraw(input, idempotencyKey),
      compensate: async ({ input, idempotencyKey, runIdempotencyKey, outcome }) => {
        if (outcome === 'unknown') await withdraw(input, runIdempotencyKey);
        await commands.send(
          'DepositMoney',
          { accountId: input.from, amountCents: input.amountCents },
          { metadata: { messageId: idempotencyKey } },
        );
      },
    })
    .step('deposit', {
      run: ({ input, idempotencyKey }) =>
        commands.send(
          'DepositMoney',
          { accountId: input.to, amountCents: input.amountCents },
          { metadata: { messageId: idempotencyKey } },
        ),
    });
}

/** Runs transfers of one bank as sagas; `store` keeps their state (in memory by default). */
export function createTransfers(bank: Pick<Bank, 'commands'>, store: SagaStore = new InMemorySagaStore()) {
  const orchestrator = new SagaOrchestrator(store, [defineTransfer(bank)]);
  return {
    orchestrator,
    /** Transfers once per `transferId`: a repeated call returns the first outcome. */
    transfer: (transferId: string, input: TransferInput): Promise<SagaOutcome> =>
      orchestrator.start('transfer-money', input, { sagaId: transferId }),
    close: () => orchestrator.close(),
  };
}
