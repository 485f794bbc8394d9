import { ValidationError } from '../errors/errors.js';

/** A test body: it may return a promise, which the runner awaits. */
export type ContractTest = () => void | Promise<void>;

/**
 * The four functions of a test runner a contract suite needs. Vitest, Jest, Mocha, `node:test`
 * and Bun all provide them under these names, so a contract runs under any of them:
 *
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * eventStoreContract('my store', createStore, { runner: { describe, it, beforeEach, afterEach } });
 * ```
 */
export interface ContractRunner {
  /** Groups tests under a name. */
  describe(name: string, body: () => void): unknown;
  /** Declares one test. */
  it(name: string, body: ContractTest): unknown;
  /** Runs before each test of the current group. */
  beforeEach(body: ContractTest): unknown;
  /** Runs after each test of the current group. */
  afterEach(body: ContractTest): unknown;
}

/** Options every contract suite accepts. */
export interface ContractOptions {
  /**
   * The test runner's functions. Defaults to the global `describe`, `it`, `beforeEach` and
   * `afterEach` (Jest, Mocha, Bun, Vitest with `globals: true`); pass them explicitly under
   * `node:test` or Vitest without globals.
   */
  readonly runner?: ContractRunner;
}

const RUNNER_FUNCTIONS = ['describe', 'it', 'beforeEach', 'afterEach'] as const;

/**
 * The runner a contract suite registers its tests with: the one given, else the runner's
 * globals. Throws a {@link ValidationError} naming what is missing, so a suite never silently
 * registers nothing.
 */
export function contractRunner(options: ContractOptions | undefined): ContractRunner {
  const given = options?.runner;
  const source = (given ?? globalThis) as Partial<Record<(typeof RUNNER_FUNCTIONS)[number], unknown>>;
  const missing = RUNNER_FUNCTIONS.filter((name) => typeof source[name] !== 'function');
  if (missing.length > 0) {
    const where = given === undefined ? 'no global test functions were found' : 'the runner given lacks them';
    throw new ValidationError(
      missing.map((name) => ({
        path: ['runner', name],
        message: `a function is required (${where}; pass { runner: { describe, it, beforeEach, afterEach } } from your test runner)`,
      })),
      { subject: 'contract options' },
    );
  }
  return given ?? (source as ContractRunner);
}
