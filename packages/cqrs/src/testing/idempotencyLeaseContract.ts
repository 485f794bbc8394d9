import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { assertEqual } from '@keel/core/testing';
import { CONTRACT_TTL_MS, claimToken } from './idempotencyContractSetup.js';
import type { Setup } from './idempotencyContractSetup.js';

/** Lease expiry, takeover, renewal and result expiry, for `idempotencyStoreContract`. */
export function defineLeaseTests(runner: ContractRunner, setup: Setup): void {
  defineTakeoverTests(runner, setup);
  defineRenewTests(runner, setup);
  defineExpiryTests(runner, setup);
}

function defineTakeoverTests({ it }: ContractRunner, setup: Setup): void {
  it('lets another worker take over a claim whose lease expired', async () => {
    const { store, clock } = await setup();
    await claimToken(store, 'k', 500);
    clock.advance(499);
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    clock.advance(1);
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('does not let a holder whose lease expired release the new holder’s claim', async () => {
    const { store, clock } = await setup();
    const old = await claimToken(store, 'k', 100);
    clock.advance(100);
    await claimToken(store, 'k', 500);
    assert.equal(
      await store.release('k', old),
      false,
      'a holder whose lease expired released the new holder’s claim',
    );
    assertEqual(await store.claim('k', 500), { status: 'pending' });
  });

  it('does not let a holder whose lease expired overwrite the new holder’s claim or result', async () => {
    const { store, clock } = await setup();
    const old = await claimToken(store, 'k', 100);
    clock.advance(100);
    const current = await claimToken(store, 'k', 500);
    assert.equal(
      await store.complete('k', old, 'stale'),
      false,
      'a holder whose lease expired overwrote the new holder’s claim',
    );
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    assert.equal(await store.complete('k', current, 'fresh'), true, 'the new holder could not complete');
    assert.equal(
      await store.complete('k', old, 'stale'),
      false,
      'a holder whose lease expired overwrote the new holder’s result',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'fresh' });
  });

  it('lets a holder whose lease ran out complete when nobody took over', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(1_000);
    assert.equal(
      await store.complete('k', token, 'late'),
      true,
      'a holder whose lease ran out could not complete though nobody took over',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'late' });
  });

  it('hands an expired claim to exactly one of many concurrent takers', async () => {
    const { store, clock } = await setup();
    await claimToken(store, 'k', 100);
    clock.advance(100);
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim('k', 500)));
    assert.equal(claims.filter((claim) => claim.status === 'claimed').length, 1);
    assert.equal(claims.filter((claim) => claim.status === 'pending').length, 7);
  });

  it('records one result when the old and the new holder complete at the same time', async () => {
    const { store, clock } = await setup();
    const old = await claimToken(store, 'k', 100);
    clock.advance(100);
    const current = await claimToken(store, 'k', 500);
    const [stale, fresh] = await Promise.all([
      store.complete('k', old, 'stale'),
      store.complete('k', current, 'fresh'),
    ]);
    assert.deepEqual([stale, fresh], [false, true], 'expected only the new holder’s complete to record');
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'fresh' });
  });
}

function defineRenewTests({ it }: ContractRunner, setup: Setup): void {
  it('extends the lease on renew, so nobody takes the key over while the holder works', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(90);
    assert.equal(await store.renew('k', token, 100), true, 'the holder could not renew its claim');
    clock.advance(90);
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    clock.advance(10);
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('refuses to renew for a token that lost, completed or released the key', async () => {
    const { store, clock } = await setup();
    const lost = await claimToken(store, 'lost', 100);
    clock.advance(100);
    await claimToken(store, 'lost', 500);
    assert.equal(await store.renew('lost', lost, 500), false, 'a token that lost the key renewed it');

    const done = await claimToken(store, 'done');
    await store.complete('done', done, 1);
    assert.equal(await store.renew('done', done, 500), false, 'a token renewed a key it completed');
    assertEqual(await store.claim('done', 500), { status: 'completed', result: 1 });

    const released = await claimToken(store, 'released');
    await store.release('released', released);
    assert.equal(await store.renew('released', released, 500), false, 'a token renewed a key it released');
    assert.equal(
      await store.renew('never-claimed', 'x', 500),
      false,
      'renew succeeded on a key never claimed',
    );
  });

  it('renews a claim whose lease ran out while nobody took it over', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(150);
    assert.equal(
      await store.renew('k', token, 100),
      true,
      'a claim whose lease ran out was not renewed though nobody took over',
    );
    assertEqual(await store.claim('k', 500), { status: 'pending' });
  });
}

function defineExpiryTests({ it }: ContractRunner, setup: Setup): void {
  it('replays a completed result until the store’s ttl has passed, then lets the key run again', async () => {
    const { store, clock } = await setup();
    await store.complete('k', await claimToken(store, 'k'), 'kept');
    clock.advance(CONTRACT_TTL_MS - 1);
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'kept' });
    clock.advance(1);
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('counts the ttl from completion, not from the claim', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 10_000);
    clock.advance(5_000);
    await store.complete('k', token, 'kept');
    clock.advance(CONTRACT_TTL_MS - 1);
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'kept' });
  });

  it('lets a new result be recorded over one whose ttl passed', async () => {
    const { store, clock } = await setup();
    await store.complete('k', 'first-token', 'old');
    clock.advance(CONTRACT_TTL_MS);
    assert.equal(
      await store.complete('k', 'second-token', 'new'),
      true,
      'no new result was recorded over one whose ttl passed',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'new' });
  });
}
