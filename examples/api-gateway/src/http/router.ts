/** Path parameters captured by a route pattern such as `/users/:id`. */
export type Params = Readonly<Record<string, string>>;

interface Route<THandler> {
  readonly method: string;
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: THandler;
}

/** The outcome of {@link Router.match}. */
export type RouteMatch<THandler> =
  | {
      readonly kind: 'found';
      readonly handler: THandler;
      readonly params: Params;
      /** The pattern that matched, e.g. `/users/:id` (the `http.route` of telemetry). */
      readonly route: string;
    }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'not-found' };

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Params | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    const actual = path[index]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(actual);
    else if (segment !== actual) return undefined;
  }
  return params;
}

/**
 * A tiny method + path router (`/users/:id` patterns), enough for a gateway and its backends
 * without a web framework.
 */
export class Router<THandler> {
  readonly #routes: Route<THandler>[] = [];

  /** Adds a route; returns the router for chaining. */
  on(method: string, pattern: string, handler: THandler): this {
    this.#routes.push({ method: method.toUpperCase(), pattern, segments: split(pattern), handler });
    return this;
  }

  /** Finds the route for a request, telling "no such path" from "path exists, wrong method". */
  match(method: string, pathname: string): RouteMatch<THandler> {
    const path = split(pathname);
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, path);
      if (params === undefined) continue;
      if (route.method === method.toUpperCase())
        return { kind: 'found', handler: route.handler, params, route: route.pattern };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}
