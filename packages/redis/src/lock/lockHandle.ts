import type { Clock, Logger, Timer } from '@keel/core';
import type { RedisClient } from '../internal/client.js';
import { runScript } from '../internal/commands.js';
import { isLockLostError, LockLostError } from './errors.js';
import { EXTEND_SCRIPT, RELEASE_SCRIPT } from './lockScripts.js';
import { assertTtl } from './redisLockOptions.js';

/** @internal What {@link RedisLock} hands a new {@link LockHandle}. */
export interface LockHandleInit {
  readonly client: RedisClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly key: string;
  readonly redisKey: string;
  readonly token: number;
  readonly owner: string;
  readonly ttl: number;
  /** When the successful acquire was sent, by `clock`: the lease runs from here. */
  readonly sentAt: number;
  /** Whether the watchdog extends the lock until it is released. */
  readonly watchdog: boolean;
  /** The watchdog's period; `undefined` for a third of the TTL. */
  readonly watchdogInterval: number | undefined;
  /** The pause before the watchdog retries an extension that failed without an answer. */
  readonly retryDelay: number;
}

/**
 * One ownership of a lock. `token` is its fencing token: strictly greater than every token
 * handed out before for the same key, so a resource that remembers the highest token seen can
 * refuse writes from an owner whose lock expired meanwhile.
 *
 * `signal` aborts with a {@link LockLostError} as soon as the lock is known lost: an extension
 * (yours or the watchdog's) found another owner, or the lease ran out by this process's clock
 * with no successful extension. Pass it to the protected work so it stops.
 */
export class LockHandle implements AsyncDisposable {
  readonly #init: LockHandleInit;
  readonly #lost = new AbortController();
  /** The lease's end by this process's clock: never later than Redis's expiry of the key. */
  #leaseEnd: number;
  #ttl: number;
  #leaseTimer: Timer | undefined;
  #watchdogTimer: Timer | undefined;
  #extending: Promise<unknown> = Promise.resolve();
  #released = false;
  /** The lock's key (without prefix). */
  readonly key: string;
  /** The fencing token of this ownership. */
  readonly token: number;
  /** The random id stored in Redis as the owner. */
  readonly owner: string;

  /** @internal Created by {@link RedisLock.acquire}. */
  constructor(init: LockHandleInit) {
    this.#init = init;
    this.key = init.key;
    this.token = init.token;
    this.owner = init.owner;
    this.#ttl = init.ttl;
    this.#leaseEnd = init.sentAt + init.ttl;
    this.#armLease();
    if (init.watchdog) this.#scheduleWatchdog(this.#watchdogDelay());
  }

  /** Aborts with a {@link LockLostError} once the lock is known lost; never aborts after a release. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /** Whether this owner still holds the lock as far as this process knows (not lost, not released). */
  get held(): boolean {
    return !this.#released && !this.#lost.signal.aborted;
  }

  /**
   * Releases the lock if this owner still holds it, and stops the watchdog. Resolves whether it
   * did (false once expired or taken over).
   *
   * @throws the client's error when Redis cannot be reached (the lock then expires on its TTL).
   */
  async release(): Promise<boolean> {
    this.#stop();
    await this.#extending;
    return (await runScript(this.#init.client, RELEASE_SCRIPT, [this.#init.redisKey, this.owner])) === 1;
  }

  /**
   * Resets the lock's TTL to `ttl` ms from now (the watchdog then keeps that TTL).
   *
   * @param ttl The new TTL in ms. @default the TTL it was acquired with
   * @throws LockLostError when this owner no longer holds the lock (and `signal` aborts with it).
   * @throws ValidationError when `ttl` is not a number > 0 and at most `Number.MAX_SAFE_INTEGER`
   * (checked before anything is sent).
   */
  async extend(ttl: number = this.#ttl): Promise<void> {
    assertTtl('LockHandle extend', ttl);
    if (this.#lost.signal.aborted) throw this.#lost.signal.reason;
    const sentAt = this.#init.clock.now();
    const args = [this.#init.redisKey, this.owner, Math.ceil(ttl)];
    const ok = await runScript(this.#init.client, EXTEND_SCRIPT, args);
    if (ok !== 1) {
      const error = new LockLostError(this.key, this.token, { reason: 'not-owner' });
      this.#lose(error);
      throw error;
    }
    if (this.#released || this.#lost.signal.aborted) return;
    this.#ttl = ttl;
    // Replies come in the order Redis ran the extensions, so the last one sets the expiry.
    this.#leaseEnd = sentAt + ttl;
    this.#armLease();
  }

  /**
   * Releases the lock, for `await using`. Never throws: a failed release is logged (the lock
   * then expires on its TTL), so it cannot hide the error of the block it ends.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      this.#init.logger.warn('Could not release the lock; it expires on its TTL.', this.#fields(error));
    }
  }

  #fields(error: unknown): Record<string, unknown> {
    return { key: this.key, token: this.token, error };
  }

  #armLease(): void {
    this.#leaseTimer?.cancel();
    const left = Math.max(this.#leaseEnd - this.#init.clock.now(), 0);
    this.#leaseTimer = this.#init.clock.setTimeout(
      () => this.#lose(new LockLostError(this.key, this.token, { reason: 'lease-expired' })),
      left,
      { keepAlive: false },
    );
  }

  #watchdogDelay(): number {
    const interval = this.#init.watchdogInterval;
    return interval !== undefined && interval < this.#ttl ? interval : this.#ttl / 3;
  }

  #scheduleWatchdog(delay: number): void {
    this.#watchdogTimer = this.#init.clock.setTimeout(() => this.#renew(), delay, { keepAlive: false });
  }

  #renew(): void {
    if (!this.held) return;
    const renewal = this.extend().then(
      () => {
        if (this.held) this.#scheduleWatchdog(this.#watchdogDelay());
      },
      (error: unknown) => {
        if (!this.held || isLockLostError(error)) return;
        // No answer (Redis unreachable): the lock may still be ours; retry while the lease lasts.
        this.#init.logger.warn('The lock watchdog could not extend the lock; retrying.', this.#fields(error));
        this.#scheduleWatchdog(this.#init.retryDelay);
      },
    );
    this.#extending = renewal;
  }

  #lose(error: LockLostError): void {
    if (this.#released || this.#lost.signal.aborted) return;
    this.#leaseTimer?.cancel();
    this.#watchdogTimer?.cancel();
    this.#lost.abort(error);
  }

  #stop(): void {
    this.#released = true;
    this.#leaseTimer?.cancel();
    this.#watchdogTimer?.cancel();
  }
}
