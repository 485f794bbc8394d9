// The spec helpers alone, with no test runner behind them: `@keel/eventsourcing/specs` loads
// under Jest, Mocha or node:test without vitest installed (`./testing` also loads the vitest
// contract suites).
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
