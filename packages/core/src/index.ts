export { newId, isUuid } from './id/newId.js';
export type { Brand } from './id/newId.js';
export { UuidV7Generator } from './id/uuidV7.js';
export type { UuidV7GeneratorOptions } from './id/uuidV7.js';
export { seededRandom } from './random/seededRandom.js';
export type { SeededRandom } from './random/seededRandom.js';

export {
  createMetadata,
  createMessage,
  createCommand,
  createQuery,
  createEvent,
} from './messages/message.js';
export type {
  AggregateRef,
  Metadata,
  Message,
  Command,
  Query,
  DomainEvent,
  ResultOf,
  MessageOptions,
} from './messages/message.js';

export { systemClock, sleepWith } from './clock/clock.js';
export type { Clock, Timer, TimerOptions } from './clock/clock.js';
export { ManualClock } from './clock/manualClock.js';

export { KeelError, isKeelError, toError } from './errors/keelError.js';
export type { KeelErrorJson, KeelErrorOptions } from './errors/keelError.js';
export type { ErrorJson } from './errors/errorJson.js';
export {
  ERROR_CODES,
  ValidationError,
  ConcurrencyError,
  NotFoundError,
  TimeoutError,
  CancelledError,
  isValidationError,
  isConcurrencyError,
  isNotFoundError,
  isTimeoutError,
  isCancelledError,
  formatPath,
} from './errors/errors.js';
export type { ValidationIssue, ConcurrencyConflict } from './errors/errors.js';
export { abortReason, throwIfAborted, linkedAbortController, raceAbort } from './errors/abort.js';
export type { LinkedAbortController } from './errors/abort.js';
export { whenAborted } from './errors/whenAborted.js';

export { KeyedQueue } from './concurrency/keyedQueue.js';
export { Mutex } from './concurrency/mutex.js';
export { yieldToEventLoop } from './concurrency/yieldToEventLoop.js';
export { NEVER_ABORTED, LazySignalContext, signalContext } from './concurrency/signals.js';
export { processWide } from './processWide/processWide.js';

export {
  withDefaults,
  assertOptions,
  describeValue,
  optionInteger,
  optionNumber,
  optionRatio,
  optionFunction,
  optionString,
  optionBoolean,
  optionOneOf,
  optionObject,
  optionClock,
  optionLogger,
  optionRule,
} from './options/options.js';
export type {
  OptionProblem,
  OptionChecks,
  OptionRange,
  Defined,
  ClockMethod,
  LoggerMethod,
  OptionLoggerOptions,
} from './options/options.js';

export {
  SerializationError,
  SERIALIZATION_ERROR_CODE,
  isSerializationError,
  toStorableJson,
  storableCopy,
} from './serialization/storableJson.js';

export { parse, parseAsync, isStandardSchema } from './schema/parse.js';
export type { ParseOptions } from './schema/parse.js';
export type { StandardSchemaV1 } from './schema/standardSchema.js';

export { noopPolicy } from './policy/policy.js';
export type { Policy, PolicyContext } from './policy/policy.js';

export { eventPublisher } from './publisher/eventPublisher.js';
export type { EventPublisher, PublishOptions } from './publisher/eventPublisher.js';

export { noopLogger, createLogger, isLogLevelEnabled } from './logger/logger.js';
export type { Logger, LogLevel, LogFields, LogEntry, LoggerOptions } from './logger/logger.js';

export { createEmitter, disposer } from './listeners/emitter.js';
export type { Emitter, EmitterOptions, Listener, Disposer } from './listeners/emitter.js';

export {
  installTelemetry,
  currentTelemetry,
  withSpan,
  recordMetric,
  addSpanEvent,
  telemetryEnabled,
  defineMetric,
  traceHeaders,
  errorTypeOf,
  DURATION_BUCKETS,
  TRACEPARENT,
  TRACESTATE,
} from './telemetry/telemetry.js';
export type {
  AttributeValue,
  Attributes,
  SpanKind,
  TraceCarrier,
  SpanOptions,
  TelemetrySpan,
  FailOptions,
  MetricKind,
  MetricInstrument,
  TelemetryProvider,
} from './telemetry/telemetry.js';

export type { Worker, WorkerHealth, WorkerStatus, WorkerStopOptions } from './workers/worker.js';
export { runWorkers, WORKER_HOST_DEFAULTS } from './workers/workerHost.js';
export type { WorkerHost, WorkerHostHealth, WorkerHostOptions } from './workers/workerHost.js';
export { createIntervalWorker } from './workers/intervalWorker.js';
export type {
  IntervalWorker,
  IntervalTask,
  IntervalTaskContext,
  IntervalRunResult,
} from './workers/intervalWorker.js';
export { INTERVAL_WORKER_DEFAULTS } from './workers/intervalWorkerOptions.js';
export type { IntervalWorkerOptions } from './workers/intervalWorkerOptions.js';
export { settleWithin } from './workers/settleWithin.js';
export { stopDeadlineOf, DEFAULT_STOP_DEADLINE_MS } from './workers/stopDeadline.js';
export { DEFAULT_STOP_SIGNALS } from './workers/stopOn.js';
export type { SignalSource, StopOnOptions } from './workers/stopOn.js';
export type { HealthReport, HealthVerdict, WorkerHealthReport } from './workers/healthReport.js';
export {
  WORKER_ERROR_CODES,
  WorkerStartError,
  WorkerStopError,
  isWorkerStartError,
  isWorkerStopError,
} from './workers/workerErrors.js';
export type { WorkerFailure } from './workers/workerErrors.js';
