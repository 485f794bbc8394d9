import { describe, expect, it } from 'vitest';
import { Router } from './router.js';

describe('Router', () => {
  const router = new Router<string>()
    .on('GET', '/users/:id', 'get-user')
    .on('GET', '/orders', 'list-orders')
    .on('POST', '/orders', 'place-order');

  it('matches a pattern, captures its decoded parameters and names the route', () => {
    expect(router.match('GET', '/users/ada%20l')).toEqual({
      kind: 'found',
      handler: 'get-user',
      params: { id: 'ada l' },
      route: '/users/:id',
    });
  });

  it('tells a wrong method apart from an unknown path', () => {
    expect(router.match('DELETE', '/orders')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['GET', 'POST'],
    });
    expect(router.match('GET', '/users/ada/orders')).toEqual({ kind: 'not-found' });
  });

  it('ignores a trailing slash and matches methods case-insensitively', () => {
    expect(router.match('post', '/orders/')).toMatchObject({ kind: 'found', handler: 'place-order' });
  });
});
