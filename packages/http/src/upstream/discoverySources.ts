import { promises as dns } from 'node:dns';
import type { SrvRecord } from 'node:dns';
import { assertOptions, optionFunction, optionOneOf, optionString } from '@keel/core';
import type { UpstreamEndpoint } from './endpointPools.js';

/** A `discover` function for {@link UpstreamOptions.discover}. */
export type Discover = (signal: AbortSignal) => Promise<readonly UpstreamEndpoint[]>;

/** Options of {@link srvDiscovery}. */
export interface SrvDiscoveryOptions {
  /** The scheme of the endpoint URLs. @default 'http' */
  scheme?: 'http' | 'https' | undefined;
  /** Resolves SRV records (inject a stub in tests). @default node:dns `promises.resolveSrv` */
  resolveSrv?: ((name: string) => Promise<SrvRecord[]>) | undefined;
}

/**
 * Discovers endpoints from DNS SRV records (`_http._tcp.orders.svc.cluster.local`, Consul's
 * `orders.service.consul`): the records of the lowest priority, each `target:port` an endpoint
 * weighted by its SRV weight (a weight of 0 counts as 1, as RFC 2782 allows it some traffic).
 *
 * @example
 * ```ts
 * createUpstream('orders', { discover: srvDiscovery('_http._tcp.orders.default.svc.cluster.local') });
 * ```
 * @throws {ValidationError} on a bad name or option.
 */
export function srvDiscovery(name: string, options: SrvDiscoveryOptions = {}): Discover {
  assertOptions('srvDiscovery', {
    name: optionString(name, true),
    scheme: optionOneOf(options.scheme, ['http', 'https']),
    resolveSrv: optionFunction(options.resolveSrv),
  });
  const scheme = options.scheme ?? 'http';
  const resolve = options.resolveSrv ?? ((srv: string) => dns.resolveSrv(srv));
  return async (signal) => {
    signal.throwIfAborted();
    const records = await resolve(name);
    signal.throwIfAborted();
    const best = Math.min(...records.map((record) => record.priority));
    return records
      .filter((record) => record.priority === best)
      .map((record) => ({
        id: `${record.name}:${record.port}`,
        url: `${scheme}://${record.name.replace(/\.$/, '')}:${record.port}`,
        weight: Math.max(record.weight, 1),
      }));
  };
}

/** The parts of a Kubernetes `discovery.k8s.io/v1` EndpointSlice that {@link kubernetesDiscovery} reads. */
export interface EndpointSliceLike {
  readonly endpoints?: readonly {
    readonly addresses: readonly string[];
    readonly conditions?: { readonly ready?: boolean | null; readonly terminating?: boolean | null };
    readonly targetRef?: { readonly name?: string };
  }[];
  readonly ports?: readonly { readonly name?: string | null; readonly port?: number | null }[] | null;
}

/** Options of {@link kubernetesDiscovery}. */
export interface KubernetesDiscoveryOptions {
  /** The named port of the slices to use. @default the first port */
  port?: string | undefined;
  /** The scheme of the endpoint URLs. @default 'http' */
  scheme?: 'http' | 'https' | undefined;
}

/**
 * Discovers endpoints from a service's Kubernetes EndpointSlices, fetched by `list` (a call to
 * `/apis/discovery.k8s.io/v1/namespaces/<ns>/endpointslices?labelSelector=kubernetes.io/service-name=<svc>`
 * with your client): every address of a ready, not terminating endpoint becomes an endpoint on
 * the chosen port. An endpoint whose `ready` is unset counts as ready, as Kubernetes says.
 *
 * @throws {ValidationError} on a bad `list` or option.
 */
export function kubernetesDiscovery(
  list: (signal: AbortSignal) => Promise<readonly EndpointSliceLike[]>,
  options: KubernetesDiscoveryOptions = {},
): Discover {
  assertOptions('kubernetesDiscovery', {
    list: optionFunction(list, true),
    port: optionString(options.port),
    scheme: optionOneOf(options.scheme, ['http', 'https']),
  });
  const scheme = options.scheme ?? 'http';
  return async (signal) => {
    const slices = await list(signal);
    signal.throwIfAborted();
    return slices.flatMap((slice) => endpointsOf(slice, scheme, options.port));
  };
}

function endpointsOf(
  slice: EndpointSliceLike,
  scheme: string,
  portName: string | undefined,
): UpstreamEndpoint[] {
  const ports = slice.ports ?? [];
  const port = (portName === undefined ? ports[0] : ports.find((p) => p.name === portName))?.port;
  if (port === undefined || port === null) return [];
  return (slice.endpoints ?? [])
    .filter((endpoint) => endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true)
    .flatMap((endpoint) =>
      endpoint.addresses.map((address) => {
        const host = address.includes(':') ? `[${address}]` : address;
        return { id: endpoint.targetRef?.name ?? `${address}:${port}`, url: `${scheme}://${host}:${port}` };
      }),
    );
}
