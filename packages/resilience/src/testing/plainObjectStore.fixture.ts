// Runs the rate-limit store contract under node:test on a store that keeps its state in a plain
// object: spawned by contractsUnderNodeTest.test.ts to prove the key tests catch it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContractRunner } from '@keel/core/testing';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitStore } from '@keel/resilience';
import { rateLimitStoreContract } from '@keel/resilience/testing';

/** Right for every key but the names a plain object inherits (`constructor`, `__proto__` …). */
class PlainObjectStore implements RateLimitStore {
  readonly #kinds = new Map<string, Record<string, unknown>>();

  consume(key: string, algorithm: RateLimitAlgorithm, permits: number, now: number): RateLimitDecision {
    let states = this.#kinds.get(algorithm.kind);
    if (states === undefined) this.#kinds.set(algorithm.kind, (states = {}));
    const { decision, state } = algorithm.consume(states[key], permits, now);
    states[key] = state;
    return decision;
  }
}

const runner: ContractRunner = { describe, it, beforeEach, afterEach };

rateLimitStoreContract('PlainObjectStore', () => new PlainObjectStore(), { runner });
