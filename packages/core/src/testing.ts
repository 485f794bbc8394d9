/**
 * `@keel/core/testing`: what the contract suites of every Keel package share, so they run under
 * any test runner.
 *
 * @packageDocumentation
 */
export type { ContractOptions, ContractRunner, ContractTest } from './testing/contractRunner.js';
export { contractRunner } from './testing/contractRunner.js';
export {
  assertEqual,
  assertMatches,
  assertRejects,
  assertRejectsWith,
  describeError,
  rejectionOf,
} from './testing/assertions.js';
export { valuesEqual, renderValue } from './testing/valuesEqual.js';
