import { abortReason, whenAborted } from '@keel/core';
import type { Clock, Timer } from '@keel/core';
import type { RateLimitDecision } from './rateLimitAlgorithm.js';

/** Asks the store for `permits` of one key at the clock's current time. */
export type AskStore = (permits: number) => RateLimitDecision | PromiseLike<RateLimitDecision>;

/** One caller waiting for permits. */
interface Waiter {
  readonly permits: number;
  /** The latest clock time at which the waiter may still be granted. */
  readonly deadline: number;
  /** Settles the caller's promise and removes its abort listener. */
  settle(outcome: Outcome): void;
}

/** Makes the error of a waiter that cannot be granted by its deadline (`retryAfter` in ms). */
export type RefusalFactory = (retryAfter: number) => unknown;

/**
 * The waiters of one key, oldest first (as `QueueProcessingOrder.OldestFirst` of
 * System.Threading.RateLimiting). Only the oldest waiter (the head) asks the store, and only
 * once the `retryAfter` the store last reported has passed: waiting never polls, and with a
 * remote store costs one round trip per wake-up, not one per waiter. A grant wakes the next
 * waiter at once; a waiter that cannot be granted by its deadline is refused as soon as that is
 * known (a waiter is never served before the one ahead of it); an aborted waiter leaves.
 */
export class PermitQueue {
  readonly #clock: Clock;
  readonly #ask: AskStore;
  readonly #refusal: RefusalFactory;
  readonly #onIdle: () => void;
  readonly #waiters = new Set<Waiter>();
  #asking = false;
  #timer: Timer | undefined;
  /** When the head expects its permits (clock time), from the store's last answer. */
  #readyAt = -Infinity;

  constructor(clock: Clock, ask: AskStore, refusal: RefusalFactory, onIdle: () => void) {
    this.#clock = clock;
    this.#ask = ask;
    this.#refusal = refusal;
    this.#onIdle = onIdle;
  }

  /** Callers waiting now. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Ms until the head expects its permits (at least 1 while anyone waits). */
  get retryAfter(): number {
    return Math.max(Math.ceil(this.#readyAt - this.#clock.now()), 1);
  }

  /**
   * Waits behind every earlier waiter for `permits`, until `deadline` (clock time).
   * @param retryAfter The store's answer to this caller, when it asked before joining an empty queue.
   * @throws the refusal when the permits cannot be had by the deadline; the abort reason on abort.
   */
  wait(
    permits: number,
    deadline: number,
    signal: AbortSignal | undefined,
    retryAfter?: number,
  ): Promise<RateLimitDecision> {
    const now = this.#clock.now();
    const readyAt = this.#waiters.size === 0 && retryAfter !== undefined ? now + retryAfter : this.#readyAt;
    if (signal?.aborted || readyAt > deadline) {
      this.#idleIfUnused();
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return Promise.reject(this.#refusal(Math.ceil(readyAt - now)));
    }
    return new Promise<RateLimitDecision>((resolve, reject) => {
      let unfollow: (() => void) | undefined;
      const onAbort = (): void => this.#abort(waiter, abortReason(signal!));
      const waiter: Waiter = {
        permits,
        deadline,
        settle: (outcome) => {
          unfollow?.();
          if ('error' in outcome) reject(outcome.error);
          else resolve(outcome.decision);
        },
      };
      const first = this.#waiters.size === 0;
      this.#waiters.add(waiter);
      // Waiters sharing one signal share one listener on it (core's `whenAborted`).
      if (signal !== undefined) unfollow = whenAborted(signal, onAbort);
      if (!first) return;
      if (retryAfter === undefined) this.#serve();
      else this.#sleep(readyAt);
    });
  }

  /** Tells the owner when nobody waits, asks or sleeps any more, so it can drop the queue. */
  #idleIfUnused(): void {
    if (this.#waiters.size === 0 && !this.#asking && this.#timer === undefined) this.#onIdle();
  }

  #head(): Waiter | undefined {
    return this.#waiters.values().next().value;
  }

  /** Removes a waiter and settles it. @returns whether it was in the queue. */
  #remove(waiter: Waiter, outcome: Outcome): boolean {
    if (!this.#waiters.delete(waiter)) return false;
    waiter.settle(outcome);
    return true;
  }

  /** An aborted waiter leaves; when it was the head, the next waiter takes over at once. */
  #abort(waiter: Waiter, reason: unknown): void {
    const wasHead = this.#head() === waiter;
    if (!this.#remove(waiter, { error: reason }) || !wasHead || this.#asking) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#serve();
  }

  /** The head sleeps until `readyAt`; those behind it whose deadline comes first cannot make it. */
  #sleep(readyAt: number): void {
    this.#readyAt = readyAt;
    for (const waiter of [...this.#waiters].slice(1)) {
      if (waiter.deadline < readyAt) this.#remove(waiter, { error: this.#refusal(this.retryAfter) });
    }
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#serve();
      },
      Math.max(readyAt - this.#clock.now(), 0),
    );
  }

  /** Lets each head in turn ask the store, until one has to sleep or wait for a remote answer. */
  #serve(): void {
    while (!this.#asking && this.#timer === undefined) {
      const head = this.#head();
      if (head === undefined) return this.#onIdle();
      let answer: RateLimitDecision | PromiseLike<RateLimitDecision>;
      try {
        answer = this.#ask(head.permits);
      } catch (error) {
        this.#remove(head, { error });
        continue;
      }
      if (!isPromiseLike(answer)) {
        this.#judge(head, answer);
        continue;
      }
      this.#asking = true;
      answer.then(
        (decision) => this.#answered(head, { decision }),
        (error: unknown) => this.#answered(head, { error }),
      );
    }
  }

  #answered(head: Waiter, outcome: Outcome): void {
    this.#asking = false;
    // The head may have left (aborted) while the store answered: the next waiter goes on.
    if (this.#waiters.has(head)) {
      if ('error' in outcome) this.#remove(head, outcome);
      else this.#judge(head, outcome.decision);
    }
    this.#serve();
  }

  /** Grants the head, refuses it when its deadline comes first, or lets it sleep. */
  #judge(head: Waiter, decision: RateLimitDecision): void {
    if (decision.allowed) {
      this.#remove(head, { decision });
      return;
    }
    const readyAt = this.#clock.now() + decision.retryAfter;
    if (readyAt > head.deadline) this.#remove(head, { error: this.#refusal(decision.retryAfter) });
    else this.#sleep(readyAt);
  }
}

/** How a waiter's wait ends. */
type Outcome = { readonly decision: RateLimitDecision } | { readonly error: unknown };

/** Whether a store's answer is still to come (a remote store) rather than already here. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
