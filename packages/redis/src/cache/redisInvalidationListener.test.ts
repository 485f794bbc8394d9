import { EventEmitter } from 'node:events';
import { isValidationError } from '@keel/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { InvalidationMessage } from './invalidationMessage.js';
import { RedisInvalidationListener } from './redisInvalidationListener.js';

/**
 * A stand-in subscriber connection: an event emitter with subscribe/unsubscribe. With `hold`
 * set, SUBSCRIBE confirmations wait until `confirm()`.
 */
function fakeSubscriber() {
  const emitter = new EventEmitter() as EventEmitter & {
    subscribed: string[];
    status: string;
    hold: boolean;
    confirm: () => Promise<void>;
  };
  const held: (() => void)[] = [];
  emitter.subscribed = [];
  emitter.status = 'ready';
  emitter.hold = false;
  emitter.confirm = async () => {
    for (const release of held.splice(0)) release();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  Object.assign(emitter, {
    subscribe: async (channel: string) => {
      if (emitter.hold) await new Promise<void>((resolve) => held.push(resolve));
      emitter.subscribed.push(channel);
    },
    unsubscribe: async (channel: string) =>
      void (emitter.subscribed = emitter.subscribed.filter((c) => c !== channel)),
  });
  return emitter;
}

describe('RedisInvalidationListener', () => {
  it('passes on the messages of its channel only, and ignores malformed ones', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    const seen: InvalidationMessage[] = [];
    listener.onInvalidate((message) => seen.push(message));
    await listener.start();
    subscriber.emit('message', 'inv', JSON.stringify({ source: 'a', keys: ['k'] }));
    subscriber.emit('message', 'other', JSON.stringify({ source: 'a', keys: ['x'] }));
    subscriber.emit('message', 'inv', 'garbage');
    expect(seen).toEqual([{ source: 'a', keys: ['k'] }]);
  });

  it('invalidates everything when the connection drops, and again once resubscribed', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    const seen: InvalidationMessage[] = [];
    listener.onInvalidate((message) => seen.push(message));
    await listener.start();
    expect(listener.subscribed).toBe(true);
    subscriber.status = 'reconnecting';
    subscriber.emit('close');
    expect(listener.subscribed).toBe(false);
    expect(seen).toEqual([{ source: '', all: true }]);
    subscriber.hold = true;
    subscriber.status = 'ready';
    subscriber.emit('ready');
    await Promise.resolve();
    // Connected, but the subscription is not confirmed yet: nothing is trusted so far.
    expect(listener.subscribed).toBe(false);
    expect(seen).toHaveLength(1);
    await subscriber.confirm();
    expect(listener.subscribed).toBe(true);
    expect(seen).toEqual([
      { source: '', all: true },
      { source: '', all: true },
    ]);
  });

  it('does not count a subscription confirmed after the connection dropped again', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    await listener.start();
    subscriber.emit('close');
    subscriber.hold = true;
    subscriber.emit('ready');
    subscriber.status = 'reconnecting';
    subscriber.emit('close');
    await subscriber.confirm();
    expect(listener.subscribed).toBe(false);
  });

  it('is not subscribed before start and after close', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    expect(listener.subscribed).toBe(false);
    await listener.start();
    await listener.close();
    expect(listener.subscribed).toBe(false);
    expect(subscriber.listenerCount('close')).toBe(0);
  });

  it('unsubscribes and stops listening on close', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    await listener.start();
    expect(subscriber.subscribed).toEqual(['inv']);
    await listener.close();
    expect(subscriber.subscribed).toEqual([]);
    expect(subscriber.listenerCount('message')).toBe(0);
  });

  it('refuses a missing channel', () => {
    let error: unknown;
    try {
      new RedisInvalidationListener(fakeSubscriber() as unknown as Redis, { channel: undefined } as never);
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
  });

  it('refuses an empty channel', () => {
    let error: unknown;
    try {
      new RedisInvalidationListener(fakeSubscriber() as unknown as Redis, { channel: '' });
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
  });
});
