import type { Clock, Timer } from '@keel/core';
import { IdempotencyClaimLostError } from '../errors/errors.js';
import type { IdempotencyStore } from './idempotencyStore.js';

/** What a {@link ClaimLease} renews. */
export interface ClaimLeaseSettings {
  readonly store: IdempotencyStore;
  readonly key: string;
  readonly token: string;
  readonly leaseMs: number;
  /** How often to renew; `Infinity` never renews. */
  readonly renewEveryMs: number;
  readonly clock: Clock;
  /** Called once when the claim is lost, with the error to abort the handler with. */
  readonly onLost: (error: IdempotencyClaimLostError) => void;
}

/**
 * The heartbeat of a held idempotency claim: renews it every `renewEveryMs` while the handler
 * runs, so a handler longer than the lease does not run again elsewhere. The claim is lost
 * when the store says another token holds the key, or when renewals keep failing until the
 * last confirmed lease would run out before the next try.
 */
export class ClaimLease {
  readonly #settings: ClaimLeaseSettings;
  /** Until when the store last confirmed the claim, by the local clock (measured from the request). */
  #heldUntil: number;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(settings: ClaimLeaseSettings, claimedAt: number) {
    this.#settings = settings;
    this.#heldUntil = claimedAt + settings.leaseMs;
    this.#schedule();
  }

  /** Stops renewing (the handler finished); a renewal in flight is ignored. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #schedule(): void {
    const { renewEveryMs, clock } = this.#settings;
    if (this.#stopped || !Number.isFinite(renewEveryMs)) return;
    this.#timer = clock.setTimeout(() => void this.#renew(), renewEveryMs, { keepAlive: false });
  }

  async #renew(): Promise<void> {
    const { store, key, token, leaseMs, renewEveryMs, clock } = this.#settings;
    const askedAt = clock.now();
    let renewed: boolean;
    try {
      renewed = await store.renew(key, token, leaseMs);
    } catch (error) {
      if (this.#stopped) return;
      if (clock.now() + renewEveryMs < this.#heldUntil) return this.#schedule();
      return this.#lose(`renewing its lease failed until the lease ran out (${describe(error)})`, error);
    }
    if (this.#stopped) return;
    if (!renewed) return this.#lose('another worker holds it now, or it was completed or released');
    this.#heldUntil = askedAt + leaseMs;
    this.#schedule();
  }

  #lose(reason: string, cause?: unknown): void {
    this.stop();
    this.#settings.onLost(
      new IdempotencyClaimLostError(this.#settings.key, reason, cause === undefined ? {} : { cause }),
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
