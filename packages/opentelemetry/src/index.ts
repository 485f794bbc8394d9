export {
  createOpenTelemetryProvider,
  installOpenTelemetry,
  errorTypeOf,
} from './provider/openTelemetryProvider.js';
export type { OpenTelemetryOptions } from './provider/openTelemetryProvider.js';
export { parseTraceparent, writeTraceparent } from './provider/traceContext.js';
export { formatSpanTree } from './spanTree/formatSpanTree.js';
export type { FinishedSpanLike, FormatSpanTreeOptions } from './spanTree/formatSpanTree.js';
