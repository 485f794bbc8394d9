export { Entity } from './entity/entity.js';

export { AggregateRoot } from './aggregate/aggregateRoot.js';
export type { AggregateRootOptions } from './aggregate/aggregateRoot.js';
export type {
  AggregateSnapshot,
  AnyAggregateRoot,
  IdOf,
  EventsOf,
  EventOf,
  AggregateFactory,
  SnapshotStateOf,
} from './aggregate/aggregateTypes.js';
export type {
  EventMap,
  AggregateEvent,
  AggregateEventOf,
  EventHandlers,
  RaiseOptions,
} from './aggregate/aggregateEvent.js';

export {
  DDD_ERROR_CODES,
  DomainRuleViolation,
  isDomainRuleViolation,
  ensureRule,
} from './errors/domainRuleViolation.js';
export {
  UnknownEventTypeError,
  isUnknownEventTypeError,
  EventPublicationError,
  isEventPublicationError,
  AggregateStateError,
  isAggregateStateError,
  SnapshotNotSupportedError,
  isSnapshotNotSupportedError,
} from './errors/dddErrors.js';

export type {
  Repository,
  QueryableRepository,
  RepositoryReadOptions,
  SaveOptions,
  DeleteOptions,
} from './repository/repository.js';

export { Specification, specification, where, allOf, anyOf, not } from './specification/specification.js';
export type { SpecificationNode, ComparisonOperator } from './specification/specification.js';
export { InMemoryRepository } from './repository/inMemoryRepository.js';
export { eventsCausedBy } from './repository/savedEvents.js';
export type { InMemoryRepositoryOptions, EventPublisherCallback } from './repository/inMemoryRepository.js';

export { ValueObject } from './valueObject/valueObject.js';
export type { DeepReadonly, ValidationResult } from './valueObject/valueObject.js';
export { schemaIssues } from './valueObject/schemaIssues.js';
