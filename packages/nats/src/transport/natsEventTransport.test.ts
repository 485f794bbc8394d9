import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isNatsOptionError } from '../errors/errors.js';
import { createNatsEventTransport } from './natsEventTransport.js';

describe('createNatsEventTransport', () => {
  it('checks its options before touching the connection', () => {
    const untouchable = new Proxy({} as NatsConnection, {
      get: () => {
        throw new Error('the connection was used');
      },
    });
    expect(() => createNatsEventTransport(untouchable, { maxDeliver: 0 })).toThrow(
      expect.toSatisfy(isNatsOptionError),
    );
  });
});
