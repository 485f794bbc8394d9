// Runs the cache contract under node:test on a cache that breaks one rule (setting the value a key
// already holds disposes it, as if it had been replaced): spawned by contractsUnderNodeTest.test.ts
// to prove the contract's assertions fail, and only the one test of that rule.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
import { LruCache } from '@keel/scaling';
import type { CacheSetOptions, DisposeListener } from '@keel/scaling';
import { cacheContract } from '@keel/scaling/testing';
import type { CacheContractSettings } from '@keel/scaling/testing';

/** Disposes the old value on every set of a stored key, even when it is the value set again. */
class DisposesOnEverySet extends LruCache<unknown, unknown> {
  readonly #onDispose: DisposeListener<unknown, unknown>;

  constructor(settings: CacheContractSettings) {
    super(settings);
    this.#onDispose = settings.onDispose;
  }

  override set(key: unknown, value: unknown, options?: CacheSetOptions): this {
    const same = this.has(key) && this.peek(key) === value;
    super.set(key, value, options);
    if (same) this.#onDispose(value, key, 'set');
    return this;
  }
}

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

cacheContract('DisposesOnEverySet', (settings) => new DisposesOnEverySet(settings), { runner });
