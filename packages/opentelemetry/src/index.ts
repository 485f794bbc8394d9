export {
  createOpenTelemetryProvider,
  installOpenTelemetry,
  errorTypeOf,
} from './provider/openTelemetryProvider.js';
export type { OpenTelemetryOptions } from './provider/openTelemetryProvider.js';
export { parseTraceparent, writeTraceparent } from './provider/traceContext.js';
export { formatSpanTree } from './spanTree/formatSpanTree.js';
export type { FinishedSpanLike, FormatSpanTreeOptions } from './spanTree/formatSpanTree.js';
export { pinoLogger } from './logs/pinoLogger.js';
export type { PinoLike, PinoLogMethod } from './logs/pinoLogger.js';
export { activeTraceFields } from './logs/logFields.js';
export type { TraceFields } from './logs/logFields.js';
