import { assertOptions, createEmitter, optionString, raceAbort, throwIfAborted } from '@keel/core';
import type { Disposer, Emitter } from '@keel/core';
import type { Redis } from 'ioredis';
import { isClusterClient } from '../internal/client.js';
import type { RedisClient } from '../internal/client.js';
import { clusterSubscriberConnection } from '../internal/clusterSubscriber.js';
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
 * connection (a client in subscriber mode can run no other command). Messages published while
 * the subscription is down are lost, so listeners get an `all` invalidation (`source: ''`)
 * when the connection drops, and another once the subscription is confirmed again after a
 * reconnect (not merely when the connection is back: an invalidation published before Redis
 * confirms the new subscription would be missed). {@link subscribed} says whether messages are
 * arriving. The client is borrowed: {@link close} unsubscribes but does not quit it.
 *
 * On a Redis Cluster, pass a `Cluster` client used only for this: a message published on any
 * node reaches subscribers on every node. ioredis keeps the subscription on one node and moves
 * it to another when that connection ends (the node failed or was removed); the listener
 * watches that connection and treats the move like a reconnect: `all` when it drops, and again
 * once the subscription is confirmed on the new node.
 *
 * @example
 * ```ts
 * const listener = new RedisInvalidationListener(new Redis(), { channel: 'app:inv' });
 * listener.onInvalidate((m) => console.log(m.keys ?? 'everything'));
 * await listener.start();
 * ```
 */
export class RedisInvalidationListener {
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #emitter: Emitter<ListenerEvents> = createEmitter<ListenerEvents>({ onListenerError: () => {} });
  #started = false;
  #subscribed = false;
  /** On a cluster: the node connection carrying the subscription, watched for drops. */
  #connection: Redis | undefined;

  /**
   * @param subscriber A client used only for this subscription, `Redis` or `Cluster`.
   * @param options The channel to listen on.
   * @throws ValidationError when the channel is missing or empty.
   */
  constructor(subscriber: RedisClient, options: RedisInvalidationListenerOptions) {
    assertOptions('RedisInvalidationListener', { channel: optionString(options?.channel, true) });
    this.#subscriber = subscriber;
    this.#channel = options.channel;
  }

  /** The channel listened on. */
  get channel(): string {
    return this.#channel;
  }

  /**
   * Whether Redis has confirmed the subscription on the current connection, so every message
   * published from now on arrives. False before {@link start}, after {@link close}, and from a
   * dropped connection until the subscription is confirmed again.
   */
  get subscribed(): boolean {
    return this.#subscribed;
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
    if (isClusterClient(this.#subscriber)) this.#subscriber.on('+node', this.#onNode);
    else {
      this.#subscriber.on('ready', this.#onReady);
      this.#subscriber.on('close', this.#onClose);
    }
    try {
      await raceAbort(this.#subscriber.subscribe(this.#channel), options.signal);
    } catch (error) {
      // Not started after all (start may be called again); the subscription may still land.
      await this.#detach();
      throw error;
    }
    if (!this.#started) return;
    this.#subscribed = true;
    if (isClusterClient(this.#subscriber)) this.#watch(clusterSubscriberConnection(this.#subscriber));
  }

  /** Unsubscribes, removes its handlers from the client and forgets every `onInvalidate` listener. */
  async close(): Promise<void> {
    if (!this.#started) return;
    this.#emitter.clear();
    await this.#detach();
  }

  async #detach(): Promise<void> {
    this.#started = false;
    this.#subscribed = false;
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('ready', this.#onReady);
    this.#subscriber.off('close', this.#onClose);
    this.#subscriber.off('+node', this.#onNode);
    this.#watch(undefined);
    if (this.#subscriber.status === 'ready')
      await this.#subscriber.unsubscribe(this.#channel).catch(() => {});
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

  /** Follows the cluster's subscriber connection: a drop of it is a drop of the subscription. */
  #watch(connection: Redis | undefined): void {
    this.#connection?.off('close', this.#onClose);
    this.#connection?.off('end', this.#onConnectionEnd);
    this.#connection = connection;
    connection?.on('close', this.#onClose);
    connection?.once('end', this.#onConnectionEnd);
  }

  readonly #onConnectionEnd = (): void => {
    // ioredis has already picked the next node (or has none until a '+node').
    this.#watch(undefined);
    this.#resubscribeOnCluster();
  };

  readonly #onNode = (): void => {
    // ioredis picks a subscriber node on '+node' after this handler runs: look once it has.
    if (this.#started && this.#connection === undefined) queueMicrotask(() => this.#resubscribeOnCluster());
  };

  #resubscribeOnCluster(): void {
    const cluster = this.#subscriber;
    if (!this.#started || !isClusterClient(cluster) || this.#connection !== undefined) return;
    const connection = clusterSubscriberConnection(cluster);
    if (connection === undefined) return;
    this.#watch(connection);
    connection.subscribe(this.#channel).then(
      () => {
        if (!this.#started || this.#subscribed || this.#connection !== connection) return;
        this.#subscribed = true;
        this.#emitter.emit('invalidate', { source: '', all: true });
      },
      () => {}, // that connection ended too: its 'end' moves on to the next one
    );
  }

  readonly #onClose = (): void => {
    // From now until the subscription is confirmed again, messages are lost.
    if (!this.#started || !this.#subscribed) return;
    this.#subscribed = false;
    this.#emitter.emit('invalidate', { source: '', all: true });
  };

  readonly #onReady = (): void => {
    // 'ready' comes before the client re-subscribes: wait for Redis to confirm the subscription
    // (a SUBSCRIBE of our own, answered after the client's), then drop what may be stale.
    if (!this.#started) return;
    this.#subscriber.subscribe(this.#channel).then(
      () => {
        if (!this.#started || this.#subscribed || this.#subscriber.status !== 'ready') return;
        this.#subscribed = true;
        this.#emitter.emit('invalidate', { source: '', all: true });
      },
      () => {}, // the connection dropped again: the next 'ready' retries
    );
  };
}
