import { describe, expectTypeOf, it } from 'vitest';
import type { EndpointView } from './endpoint.js';
import { LoadBalancer } from './loadBalancer.js';

describe('LoadBalancer types', () => {
  it('passes the endpoint value type to the callback and returns the callback result', () => {
    const lb = new LoadBalancer([{ id: 'a', value: new URL('http://a') }]);
    const result = lb.execute((url, { endpoint, signal }) => {
      expectTypeOf(url).toEqualTypeOf<URL>();
      expectTypeOf(endpoint).toEqualTypeOf<EndpointView<URL>>();
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return 42;
    });
    expectTypeOf(result).toEqualTypeOf<Promise<number>>();
  });

  it('types the lease endpoint value', () => {
    const lb = new LoadBalancer([{ id: 'a', value: { port: 1 } }]);
    expectTypeOf(lb.acquire().endpoint.value).toEqualTypeOf<{ port: number }>();
  });
});
