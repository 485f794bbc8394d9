import assert from 'node:assert/strict';
import { createCommand } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { createCommandBus } from '../commandBus/commandBus.js';
import { idempotencyMiddleware } from '../idempotency/idempotencyMiddleware.js';
import type { IdempotencyStore } from '../idempotency/idempotencyStore.js';
import type { Setup } from './idempotencyContractSetup.js';
import { eventually } from './eventually.js';

/** A command bus whose `Pay` handler counts its runs in `runs`, deduplicated through `store`. */
function payingBus(store: IdempotencyStore, runs: { count: number }, work: () => Promise<void>) {
  const commands = createCommandBus({ middleware: [idempotencyMiddleware({ store, pollMs: 5 })] });
  commands.register('Pay', async () => {
    const run = ++runs.count;
    await work();
    return `receipt ${run}`;
  });
  return commands;
}

/** The store behind the idempotency middleware of several buses, for `idempotencyStoreContract`. */
export function defineBusTests({ it }: ContractRunner, setup: Setup): void {
  it('makes two command buses sharing the store run a repeated command once', async () => {
    const { store } = await setup();
    const runs = { count: 0 };
    const command = createCommand('Pay', { amount: 5 });
    const noWork = async () => {};
    assert.equal(await payingBus(store, runs, noWork).execute(command), 'receipt 1');
    assert.equal(await payingBus(store, runs, noWork).execute(command), 'receipt 1');
    assert.equal(runs.count, 1, `the handler ran ${runs.count} times`);
  });

  it('runs a command once when several buses sharing the store receive it at the same time', async () => {
    const { store } = await setup();
    const runs = { count: 0 };
    let claims = 0;
    // The first run waits until every bus has claimed, so the others must find it pending.
    const counting: IdempotencyStore = {
      claim: (...args) => {
        claims++;
        return store.claim(...args);
      },
      renew: (...args) => store.renew(...args),
      complete: (...args) => store.complete(...args),
      release: (...args) => store.release(...args),
    };
    const work = () => eventually('every bus to claim the command', () => claims >= 4);
    const command = createCommand('Pay', { amount: 5 });
    const buses = Array.from({ length: 4 }, () => payingBus(counting, runs, work));
    const results = await Promise.all(buses.map((bus) => bus.execute(command)));
    assert.deepEqual(
      results,
      Array.from({ length: 4 }, () => 'receipt 1'),
    );
    assert.equal(runs.count, 1, `the handler ran ${runs.count} times`);
  });

  it('runs a command again after its first run failed, and replays the successful result', async () => {
    const { store } = await setup();
    const runs = { count: 0 };
    let fail = true;
    const work = async () => {
      if (fail) throw new Error('first attempt failed');
    };
    const command = createCommand('Pay', { amount: 5 });
    const bus = payingBus(store, runs, work);
    await assert.rejects(bus.execute(command), { message: /first attempt failed/ });
    fail = false;
    assert.equal(await bus.execute(command), 'receipt 2');
    assert.equal(await payingBus(store, runs, work).execute(command), 'receipt 2');
    assert.equal(runs.count, 2, `the handler ran ${runs.count} times`);
  });
}
