// --- upstream client ---
export { Upstream, createUpstream } from './upstream/upstream.js';
export type { UpstreamRequest, UpstreamEvent } from './upstream/upstream.js';
export { UPSTREAM_DEFAULTS } from './upstream/upstreamOptions.js';
export type { UpstreamOptions, UpstreamHedgeOptions } from './upstream/upstreamOptions.js';
export { UpstreamResponse } from './upstream/upstreamResponse.js';
export { DEFAULT_VERSION } from './upstream/endpointPools.js';
export type { UpstreamEndpoint, VersionRouting } from './upstream/endpointPools.js';
export { retryAfterMs } from './upstream/retryAfter.js';
export { srvDiscovery, kubernetesDiscovery } from './upstream/discoverySources.js';
export type {
  Discover,
  SrvDiscoveryOptions,
  KubernetesDiscoveryOptions,
  EndpointSliceLike,
} from './upstream/discoverySources.js';
export {
  UPSTREAM_ERROR_CODES,
  UpstreamStatusError,
  UpstreamDiscoveryError,
  isUpstreamStatusError,
  isUpstreamDiscoveryError,
} from './upstream/errors.js';

// --- request context ---
export {
  currentRequestContext,
  runWithRequestContext,
  CORRELATION_ID_HEADER,
} from './context/requestContext.js';
export type { RequestContext } from './context/requestContext.js';

// --- telemetry instruments ---
export { HTTP_SERVER_DURATION, HTTP_CLIENT_DURATION } from './internal/telemetry.js';

// --- server middleware (node:http) ---
export { compose, readRawBody, sendError } from './server/middleware.js';
export type { HttpMiddleware, HttpHandler } from './server/middleware.js';
export {
  HttpProblem,
  isHttpProblem,
  problemFor,
  problemResponse,
  PROBLEM_JSON,
  HTTP_PROBLEM,
} from './server/problem.js';
export type { ProblemDetails } from './server/problem.js';
export { rateLimit, rateLimitCheck, rateLimitedProblem } from './server/rateLimit.js';
export type { RateLimitOptions, RateLimitVerdict } from './server/rateLimit.js';
export { idempotencyKey, idempotencyCheck } from './server/idempotency.js';
export type {
  IdempotencyKeyOptions,
  IdempotencyVerdict,
  IdempotencyInput,
  StoredResponse,
} from './server/idempotency.js';
export { jwtAuth, jwtAuthenticator, authorize, principalOf } from './server/auth.js';
export type { JwtAuthOptions } from './server/auth.js';
export { validate, validated, parseJsonBody } from './server/validation.js';
export type { RequestSchemas, ValidatedRequest } from './server/validation.js';
export { correlation, correlationIdOf, incomingTraceContext } from './server/correlation.js';
export type { CorrelationOptions } from './server/correlation.js';
export { healthEndpoints } from './server/health.js';
export type { HealthEndpointsOptions } from './server/health.js';
