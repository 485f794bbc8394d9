import { assertOptions, createEmitter, optionString, raceAbort, throwIfAborted } from '@keel/core';
import type { Disposer, Emitter } from '@keel/core';
import type { Redis } from 'ioredis';
import { decodeInvalidation } from './invalidationMessage.js';
import type { InvalidationMessage } from './invalidationMessage.js';

/** Options of {@link RedisInvalidationListener}. */
export interface RedisInvalidationListenerOptions {
  /** The channel the {@link RedisCacheStore} publishes on (its `invalidationChannel`). */
  channel: string;
}

interface ListenerEvents {
  invalidate: InvalidationMessage;
}

/**
 * Receives the invalidations a {@link RedisCacheStore} publishes, on a dedicated subscriber
 * connection (a client in subscriber mode can run no other command). When the connection is
 * re-established, messages may have been missed, so listeners get an `all` invalidation
 * (`source: ''`). The client is borrowed: {@link close} unsubscribes but does not quit it.
 *
 * @example
 * ```ts
 * const listener = new RedisInvalidationListener(new Redis(), { channel: 'app:inv' });
 * listener.onInvalidate((m) => console.log(m.keys ?? 'everything'));
 * await listener.start();
 * ```
 */
export class RedisInvalidationListener {
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #emitter: Emitter<ListenerEvents> = createEmitter<ListenerEvents>({ onListenerError: () => {} });
  #started = false;
  #ready = false;

  /**
   * @param subscriber A client used only for this subscription.
   * @param options The channel to listen on.
   * @throws ValidationError when the channel is empty.
   */
  constructor(subscriber: Redis, options: RedisInvalidationListenerOptions) {
    assertOptions('RedisInvalidationListener', { channel: optionString(options?.channel, true) });
    this.#subscriber = subscriber;
    this.#channel = options.channel;
  }

  /** The channel listened on. */
  get channel(): string {
    return this.#channel;
  }

  /** Calls `listener` with every invalidation received; returns a disposer that stops it. */
  onInvalidate(listener: (message: InvalidationMessage) => void): Disposer {
    return this.#emitter.on('invalidate', listener);
  }

  /** Subscribes; resolves once Redis confirmed the subscription. Calling it again does nothing. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    if (this.#started) return;
    this.#started = true;
    this.#subscriber.on('message', this.#onMessage);
    this.#subscriber.on('ready', this.#onReady);
    await raceAbort(this.#subscriber.subscribe(this.#channel), options.signal);
    this.#ready = true;
  }

  /** Unsubscribes and removes its handlers from the client. */
  async close(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#ready = false;
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('ready', this.#onReady);
    this.#emitter.clear();
    if (this.#subscriber.status === 'ready') await this.#subscriber.unsubscribe(this.#channel);
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  readonly #onMessage = (channel: string, text: string): void => {
    if (channel !== this.#channel) return;
    const message = decodeInvalidation(text);
    if (message !== undefined) this.#emitter.emit('invalidate', message);
  };

  readonly #onReady = (): void => {
    // A reconnect: anything published while we were away is lost, so drop everything.
    if (this.#ready) this.#emitter.emit('invalidate', { source: '', all: true });
  };
}
