import { createEventBus } from '@keel/cqrs';
import { InMemoryEventStore, ProjectionRunner } from '@keel/eventsourcing';
import { describe, expect, it } from 'vitest';
import type { AccountEvents } from './account.js';
import { Account } from './account.js';
import { BalancesReadModel } from './balances.js';

function openedWithDeposit() {
  const account = Account.open('ada', 'Ada');
  account.deposit(3_00);
  return account.uncommittedEvents;
}

describe('BalancesReadModel', () => {
  it('changes nothing when the bus delivers an event again', async () => {
    const bus = createEventBus<AccountEvents>();
    const balances = new BalancesReadModel();
    balances.subscribeTo(bus);
    const events = openedWithDeposit();
    await bus.publish(events);
    await bus.publish(events.slice(1));
    expect(balances.get('ada')).toMatchObject({ balanceCents: 3_00, transactions: 1, version: 2 });
  });

  it('rebuilds the same rows from the event store', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream(
      'Account-ada',
      openedWithDeposit().map(({ type, data }) => ({ type, data })),
    );
    const balances = new BalancesReadModel();
    await new ProjectionRunner(store, balances.projection).rebuild();
    expect(balances.all()).toEqual([
      { accountId: 'ada', owner: 'Ada', balanceCents: 3_00, transactions: 1, closed: false, version: 2 },
    ]);
  });
});
