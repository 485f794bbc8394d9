// Runs the saga store contract under node:test on a store that breaks one rule (it renews a
// lease for any owner): spawned by contractsUnderNodeTest.test.ts to prove the contract's
// assertions fail.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
import { InMemorySagaStore } from '@keel/saga';
import { sagaStoreContract } from '@keel/saga/testing';

/** Renews a held lease whoever asks, as a store that forgot the owner check would. */
class AnyOwnerRenewsStore extends InMemorySagaStore {
  override async renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    const holder = (await this.get(sagaId))?.lease?.owner ?? owner;
    return super.renewLease(sagaId, holder, until);
  }
}

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

sagaStoreContract('AnyOwnerRenewsStore', () => new AnyOwnerRenewsStore(), { runner });
