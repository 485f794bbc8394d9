import { LoadBalancer } from '@keel/scaling';
import type { Lease, LoadBalancerOptions } from '@keel/scaling';

/** One endpoint of an upstream service. */
export interface UpstreamEndpoint {
  /**
   * Where requests are sent, an absolute http(s) URL without credentials, e.g.
   * `http://10.0.0.7:8080`; only its origin is used (a call's path replaces any path here).
   */
  readonly url: string;
  /** A stable id, unique within the upstream. @default the url */
  readonly id?: string | undefined;
  /** Relative capacity for weighted strategies. @default 1 */
  readonly weight?: number | undefined;
  /** The version this endpoint runs, for weighted or header routing between versions. @default 'stable' */
  readonly version?: string | undefined;
}

/** The value a pool's balancer hands out for an endpoint. */
export interface PooledEndpoint {
  readonly url: string;
  /** The origin requests go to (scheme, host and port of `url`). */
  readonly origin: string;
  readonly version: string;
}

/** How requests are split between versions (canary releases). */
export interface VersionRouting {
  /**
   * Share of requests per version, e.g. `{ stable: 90, canary: 10 }`; versions left out get no
   * traffic by weight (a header may still select them). @default every version in proportion to its endpoints
   */
  weights?: Readonly<Record<string, number>> | undefined;
  /**
   * A request header that names the version to use (e.g. `x-version: canary`); a version with no
   * endpoint falls back to the weights.
   * @default none
   */
  header?: string | undefined;
}

/** The default version of an endpoint. */
export const DEFAULT_VERSION = 'stable';

/**
 * One load balancer per version, kept in step with the endpoint list (endpoints added, updated
 * or removed in place, so in-flight counts and latency estimates survive a refresh).
 */
export class EndpointPools {
  readonly #pools = new Map<string, LoadBalancer<PooledEndpoint>>();
  readonly #options: () => LoadBalancerOptions;
  readonly #routing: VersionRouting;
  readonly #random: () => number;
  readonly #created: (version: string, pool: LoadBalancer<PooledEndpoint>) => void;

  constructor(
    options: () => LoadBalancerOptions,
    routing: VersionRouting,
    random: () => number,
    created: (version: string, pool: LoadBalancer<PooledEndpoint>) => void,
  ) {
    this.#options = options;
    this.#routing = routing;
    this.#random = random;
    this.#created = created;
  }

  /** Every version's balancer. */
  balancers(): ReadonlyMap<string, LoadBalancer<PooledEndpoint>> {
    return this.#pools;
  }

  /** Replaces the endpoint list: adds, updates and removes endpoints per version. */
  reconcile(endpoints: readonly UpstreamEndpoint[]): void {
    const wanted = new Map<string, Map<string, UpstreamEndpoint>>();
    for (const endpoint of endpoints) {
      const version = endpoint.version ?? DEFAULT_VERSION;
      if (!wanted.has(version)) wanted.set(version, new Map());
      wanted.get(version)!.set(endpoint.id ?? endpoint.url, endpoint);
    }
    for (const [version, pool] of this.#pools) {
      const keep = wanted.get(version);
      for (const view of pool.endpoints()) if (keep?.has(view.id) !== true) pool.remove(view.id);
    }
    for (const [version, byId] of wanted) this.#fill(version, byId);
  }

  #fill(version: string, byId: ReadonlyMap<string, UpstreamEndpoint>): void {
    let pool = this.#pools.get(version);
    if (pool === undefined) {
      pool = new LoadBalancer<PooledEndpoint>([], this.#options());
      this.#pools.set(version, pool);
      this.#created(version, pool);
    }
    const present = new Set(pool.endpoints().map((view) => view.id));
    for (const [id, endpoint] of byId) {
      const value = { url: endpoint.url, origin: new URL(endpoint.url).origin, version };
      const entry = { id, value, weight: endpoint.weight };
      if (present.has(id)) pool.update(entry);
      else pool.add(entry);
    }
  }

  /** Picks a version for a request (header first, then weights) and leases one of its endpoints. */
  acquire(headers: Headers, key: string | undefined): Lease<PooledEndpoint> {
    const pool = this.#pools.get(this.#version(headers)) ?? this.#firstNonEmpty();
    return pool.acquire({ key });
  }

  #version(headers: Headers): string {
    const header = this.#routing.header;
    const asked = header === undefined ? null : headers.get(header);
    if (asked !== null && (this.#pools.get(asked)?.size ?? 0) > 0) return asked;
    const shares = this.#shares();
    const total = shares.reduce((sum, [, share]) => sum + share, 0);
    let point = this.#random() * total;
    for (const [version, share] of shares) {
      point -= share;
      if (point < 0) return version;
    }
    return shares[0]?.[0] ?? DEFAULT_VERSION;
  }

  #shares(): [string, number][] {
    const weights = this.#routing.weights;
    const shares: [string, number][] = [];
    for (const [version, pool] of this.#pools) {
      if (pool.size === 0) continue;
      const share = weights === undefined ? pool.size : (weights[version] ?? 0);
      if (share > 0) shares.push([version, share]);
    }
    return shares;
  }

  #firstNonEmpty(): LoadBalancer<PooledEndpoint> {
    for (const pool of this.#pools.values()) if (pool.size > 0) return pool;
    // An empty balancer throws NoEndpointAvailableError with the right message.
    return this.#pools.values().next().value ?? new LoadBalancer<PooledEndpoint>([], this.#options());
  }
}
