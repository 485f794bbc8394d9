// Runs the rate-limit store contract under node:test on a store whose read-modify-write is not
// atomic: spawned by contractsUnderNodeTest.test.ts to prove the concurrency tests catch it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitStore } from '@keel/resilience';
import { rateLimitStoreContract } from '@keel/resilience/testing';

/** Reads a key's state, waits (as for a round trip to a server), then writes: calls race. */
class NonAtomicStore implements RateLimitStore {
  readonly #states = new Map<string, unknown>();

  async consume(
    key: string,
    algorithm: RateLimitAlgorithm,
    permits: number,
    now: number,
  ): Promise<RateLimitDecision> {
    const previous = this.#states.get(`${algorithm.kind}:${key}`);
    await Promise.resolve();
    const { decision, state } = algorithm.consume(previous, permits, now);
    this.#states.set(`${algorithm.kind}:${key}`, state);
    return decision;
  }
}

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

rateLimitStoreContract('NonAtomicStore', () => new NonAtomicStore(), { runner });
