// The spec helpers alone: `@keel/eventsourcing/specs` loads under any test runner (Jest, Mocha,
// node:test, Vitest) and registers no tests; `./testing` adds the contract suites, which
// register theirs with the runner's functions.
export { deciderSpec, shapeOf } from './testing/deciderSpec.js';
export type {
  DeciderSpecification,
  DeciderGiven,
  SpecificationOutcome,
  ErrorClass,
} from './testing/deciderSpec.js';
export { aggregateSpec } from './testing/aggregateSpec.js';
export type { AggregateSpecification, AggregateGiven, AggregateOutcome } from './testing/aggregateSpec.js';
export {
  SpecAssertionError,
  isSpecAssertionError,
  SPEC_ASSERTION_FAILED,
} from './testing/specAssertionError.js';
export type { SpecAssertionErrorOptions } from './testing/specAssertionError.js';
