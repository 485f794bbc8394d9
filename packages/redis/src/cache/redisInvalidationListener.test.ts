import { EventEmitter } from 'node:events';
import { isValidationError } from '@keel/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { InvalidationMessage } from './invalidationMessage.js';
import { RedisInvalidationListener } from './redisInvalidationListener.js';

/** A stand-in subscriber connection: an event emitter with subscribe/unsubscribe. */
function fakeSubscriber() {
  const emitter = new EventEmitter() as EventEmitter & { subscribed: string[]; status: string };
  emitter.subscribed = [];
  emitter.status = 'ready';
  Object.assign(emitter, {
    subscribe: async (channel: string) => void emitter.subscribed.push(channel),
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

  it('invalidates everything after a reconnect, since messages may have been missed', async () => {
    const subscriber = fakeSubscriber();
    const listener = new RedisInvalidationListener(subscriber as unknown as Redis, { channel: 'inv' });
    const seen: InvalidationMessage[] = [];
    listener.onInvalidate((message) => seen.push(message));
    await listener.start();
    subscriber.emit('ready');
    expect(seen).toEqual([{ source: '', all: true }]);
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
