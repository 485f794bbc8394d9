// --- upstream client ---
export { Upstream, createUpstream } from './upstream/upstream.js';
export type { UpstreamRequest, UpstreamEvent } from './upstream/upstream.js';
export { UPSTREAM_DEFAULTS } from './upstream/upstreamOptions.js';
export type { UpstreamOptions, UpstreamHedgeOptions } from './upstream/upstreamOptions.js';
export { UpstreamResponse } from './upstream/upstreamResponse.js';
export { DEFAULT_VERSION } from './upstream/endpointPools.js';
export type { UpstreamEndpoint, VersionRouting } from './upstream/endpointPools.js';
export { retryAfterMs } from './upstream/retryAfter.js';
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
