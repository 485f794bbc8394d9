// The `@keel/opentelemetry/logs` entry: needs the optional peer `@opentelemetry/api-logs`.
export { openTelemetryLogger } from './logs/openTelemetryLogger.js';
export type { OpenTelemetryLoggerOptions } from './logs/openTelemetryLogger.js';
