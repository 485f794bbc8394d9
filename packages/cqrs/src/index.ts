export { CommandBus, createCommandBus } from './commandBus/commandBus.js';
export type { CommandBusOptions, ExecuteOptions, SendOptions } from './commandBus/commandBus.js';
export { QueryBus, createQueryBus } from './queryBus/queryBus.js';
export type { QueryBusOptions } from './queryBus/queryBus.js';
export { EventBus, createEventBus, ALL_EVENTS, NESTED_WAIT_WARNING } from './eventBus/eventBus.js';
export type { SubscribeOptions, EventPublishOptions, ConsumeOptions } from './eventBus/eventBus.js';
export { EVENT_BUS_DEFAULTS } from './eventBus/eventBusOptions.js';
export type { EventBusOptions, DeliveryMode, NestedPublishDetection } from './eventBus/eventBusOptions.js';

export type {
  MessageSpec,
  MessageMap,
  AnyMessageMap,
  EventMap,
  AnyEventMap,
  TypeOf,
  DataOf,
  ResultFor,
  CommandFor,
  QueryFor,
  EventFor,
  AnyEventOf,
  HandlerContext,
  Handler,
  InputOf,
} from './messages/messageMap.js';
export type { MessageMapOf, SchemasFor, SchemaRecord } from './messages/schemaMap.js';

export type { MessageContext, ContextOverrides, Next, Middleware } from './middleware/middleware.js';
export { validationMiddleware, VALIDATION_DEFAULTS } from './middleware/validationMiddleware.js';
export type { SchemaSource, ValidationMiddlewareOptions } from './middleware/validationMiddleware.js';
export { loggingMiddleware, LOGGING_DEFAULTS } from './middleware/loggingMiddleware.js';
export type { LoggingMiddlewareOptions } from './middleware/loggingMiddleware.js';
export { timeoutMiddleware, TIMEOUT_DEFAULTS } from './middleware/timeoutMiddleware.js';
export type { TimeoutMiddlewareOptions } from './middleware/timeoutMiddleware.js';
export { policyMiddleware } from './middleware/policyMiddleware.js';
export {
  correlationMiddleware,
  currentMessage,
  CORRELATION_DEFAULTS,
} from './middleware/correlationMiddleware.js';
export type { CorrelationMiddlewareOptions } from './middleware/correlationMiddleware.js';

export { idempotencyMiddleware, IDEMPOTENCY_DEFAULTS } from './idempotency/idempotencyMiddleware.js';
export type { IdempotencyMiddlewareOptions } from './idempotency/idempotencyMiddleware.js';
export {
  InMemoryIdempotencyStore,
  IN_MEMORY_IDEMPOTENCY_DEFAULTS,
} from './idempotency/inMemoryIdempotencyStore.js';
export type { InMemoryIdempotencyStoreOptions } from './idempotency/inMemoryIdempotencyStore.js';
export type { IdempotencyStore, IdempotencyClaim } from './idempotency/idempotencyStore.js';
export { checkIdempotencyArguments, MAX_IDEMPOTENCY_KEY_BYTES } from './idempotency/idempotencyArguments.js';
export type { IdempotencyArguments } from './idempotency/idempotencyArguments.js';

export { InProcessEventTransport } from './transport/inProcessEventTransport.js';
export {
  TransportClosedError,
  isTransportClosedError,
  TRANSPORT_CLOSED_CODE,
} from './transport/transportClosedError.js';
export type {
  EventTransport,
  TransportHandler,
  TransportDelivery,
  TransportSubscription,
  TransportSubscribeOptions,
} from './transport/eventTransport.js';

export {
  CQRS_ERROR_CODES,
  NoHandlerError,
  DuplicateHandlerError,
  EventDeliveryError,
  InvalidOptionError,
  IdempotencyInProgressError,
  IdempotencyClaimLostError,
  EventBusClosedError,
  isNoHandlerError,
  isDuplicateHandlerError,
  isEventDeliveryError,
  isInvalidOptionError,
  isIdempotencyInProgressError,
  isIdempotencyClaimLostError,
  isEventBusClosedError,
} from './errors/errors.js';
export type { MessageKind, EventHandlerFailure } from './errors/errors.js';
