import { createEvent } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { EventDeliveryError, InvalidOptionError } from '../errors/errors.js';
import { isInvalidOptionError } from '../errors/errors.js';
import { idempotencyMiddleware } from '../idempotency/idempotencyMiddleware.js';
import { ALL_EVENTS, createEventBus } from './eventBus.js';

class Projector {
  readonly seen: string[] = [];
  handle(): void {
    this.seen.push('projector');
  }
}

function refusal(subscribe: () => unknown): InvalidOptionError {
  try {
    subscribe();
  } catch (error) {
    if (isInvalidOptionError(error)) return error;
    throw error;
  }
  throw new Error('expected the subscription to be refused');
}

describe('EventBus subscription names', () => {
  it('runs two bound handlers of one type under idempotency middleware, each keyed on its own', async () => {
    const bus = createEventBus({ handlerMiddleware: [idempotencyMiddleware()] });
    const projector = new Projector();
    const mailer = new Projector();
    bus.subscribe('Paid', projector.handle.bind(projector));
    bus.subscribe('Paid', mailer.handle.bind(mailer));
    const event = createEvent('Paid', {});
    await bus.publish([event]);
    await bus.publish([event]);
    expect([projector.seen, mailer.seen]).toEqual([['projector'], ['projector']]);
  });

  it('suffixes a default name already taken with the next free number, in subscription order', async () => {
    const bus = createEventBus();
    const fail = (): never => {
      throw new Error('no');
    };
    const named = {
      handle(): never {
        return fail();
      },
    };
    bus.subscribe('Paid', named.handle.bind(named));
    bus.subscribe('Paid', named.handle.bind(named));
    bus.subscribe('Paid', fail, { name: 'bound handle #3' });
    bus.subscribe('Paid', named.handle.bind(named));
    const error = (await bus
      .publish([createEvent('Paid', {})])
      .catch((e: unknown) => e)) as EventDeliveryError;
    expect(error.failures.map((failure) => failure.handler)).toEqual([
      'bound handle',
      'bound handle #2',
      'bound handle #3',
      'bound handle #4',
    ]);
  });

  it('refuses an explicit name another handler of the type has, naming both, and subscribes nothing', () => {
    const bus = createEventBus();
    bus.subscribe('Paid', () => {}, { name: 'ledger' });
    const error = refusal(() => bus.subscribe('Paid', () => {}, { name: 'ledger' }));
    expect(error.option).toBe('name');
    expect(error.message).toContain('"ledger"');
    expect(error.message).toContain('"Paid"');
    expect(bus.handlerCount('Paid')).toBe(1);
  });

  it('refuses an explicit name a wildcard handler has, since both handle the same events', () => {
    const bus = createEventBus();
    bus.subscribe(ALL_EVENTS, () => {}, { name: 'audit' });
    refusal(() => bus.subscribe('Paid', () => {}, { name: 'audit' }));
    bus.subscribe('Refunded', () => {}, { name: 'mailer' });
    refusal(() => bus.subscribe(ALL_EVENTS, () => {}, { name: 'mailer' }));
    expect(bus.handlerCount()).toBe(2);
  });

  it('accepts the same explicit name for handlers of different types', () => {
    const bus = createEventBus();
    bus.subscribe('Paid', () => {}, { name: 'ledger' });
    bus.subscribe('Refunded', () => {}, { name: 'ledger' });
    expect(bus.handlerCount()).toBe(2);
  });

  it('frees a name once its subscription is disposed', async () => {
    const bus = createEventBus();
    const stop = bus.subscribe('Paid', () => {}, { name: 'ledger' });
    stop();
    const seen: string[] = [];
    bus.subscribe('Paid', () => void seen.push('again'), { name: 'ledger' });
    await bus.publish([createEvent('Paid', {})]);
    expect(seen).toEqual(['again']);
  });
});
