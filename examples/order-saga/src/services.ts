import { KeelError } from '@keel/core';

/** Where the services narrate what they do. */
export type Journal = (line: string) => void;

/** Thrown by a service that is down for a moment: worth retrying. */
export class ServiceUnavailableError extends KeelError {
  constructor(service: string) {
    super('SERVICE_UNAVAILABLE', `${service} is unavailable right now; try again.`);
  }
}

/** Thrown when the card is declined: retrying does not help. */
export class PaymentDeclinedError extends KeelError {
  constructor(amount: number) {
    super('PAYMENT_DECLINED', `The card was declined for ${amount.toFixed(2)}.`);
  }
}

/** Whether an error is the kind worth retrying. */
export const isTransient = (error: unknown): boolean => error instanceof ServiceUnavailableError;

/**
 * The common core of the in-process services: each operation is applied at most once per
 * idempotency key (a repeat returns the first result), and the service can be told to fail.
 */
class IdempotentService<TResult> {
  readonly #done = new Map<string, TResult>();
  /** Fail the next N calls with a transient error. */
  outages = 0;

  constructor(
    readonly name: string,
    protected readonly journal: Journal,
  ) {}

  /** How many distinct operations were applied. */
  get applied(): number {
    return this.#done.size;
  }

  /** The result of the operation applied with `key`, or `undefined` when none was. */
  protected resultOf(key: string): TResult | undefined {
    return this.#done.get(key);
  }

  protected once(key: string, apply: () => TResult, describe: (result: TResult) => string): TResult {
    if (this.outages > 0) {
      this.outages--;
      this.journal(`    [${this.name}] unavailable (key ${key})`);
      throw new ServiceUnavailableError(this.name);
    }
    const previous = this.#done.get(key);
    if (previous !== undefined) {
      this.journal(`    [${this.name}] already done for key ${key}: returning the same result`);
      return previous;
    }
    const result = apply();
    this.#done.set(key, result);
    this.journal(`    [${this.name}] ${describe(result)}`);
    return result;
  }
}

export class OrderService extends IdempotentService<{ orderId: string }> {
  readonly cancelled = new Set<string>();

  async create(orderId: string, key: string): Promise<{ orderId: string }> {
    return this.once(
      key,
      () => ({ orderId }),
      () => `order ${orderId} created`,
    );
  }

  async cancel(orderId: string): Promise<void> {
    if (!this.cancelled.has(orderId)) this.journal(`    [${this.name}] order ${orderId} cancelled`);
    this.cancelled.add(orderId);
  }
}

export class InventoryService extends IdempotentService<{ reservationId: string }> {
  readonly released = new Set<string>();

  async reserve(sku: string, quantity: number, key: string): Promise<{ reservationId: string }> {
    const reservationId = `res-${this.applied + 1}`;
    return this.once(
      key,
      () => ({ reservationId }),
      () => `reserved ${quantity} x ${sku} as ${reservationId}`,
    );
  }

  async release(reservationId: string): Promise<void> {
    if (!this.released.has(reservationId))
      this.journal(`    [${this.name}] reservation ${reservationId} released`);
    this.released.add(reservationId);
  }

  /** Releases what the reservation made with `key` holds, if it took effect at all. */
  async releaseFor(key: string): Promise<void> {
    const done = this.resultOf(key);
    if (done !== undefined) await this.release(done.reservationId);
  }
}

export class PaymentService extends IdempotentService<{ paymentId: string }> {
  readonly refunded = new Set<string>();
  /** Decline every charge. */
  decline = false;
  /** Called after a charge was applied (the crash scenario pulls the plug here). */
  afterCharge: (() => void) | undefined;

  async charge(amount: number, key: string): Promise<{ paymentId: string }> {
    if (this.decline) {
      this.journal(`    [${this.name}] card declined for ${amount.toFixed(2)}`);
      throw new PaymentDeclinedError(amount);
    }
    const paymentId = `pay-${this.applied + 1}`;
    const result = this.once(
      key,
      () => ({ paymentId }),
      () => `charged ${amount.toFixed(2)} as ${paymentId}`,
    );
    this.afterCharge?.();
    return result;
  }

  async refund(paymentId: string): Promise<void> {
    if (!this.refunded.has(paymentId)) this.journal(`    [${this.name}] payment ${paymentId} refunded`);
    this.refunded.add(paymentId);
  }

  /** Refunds the charge made with `key`, if it took effect at all. */
  async refundFor(key: string): Promise<void> {
    const done = this.resultOf(key);
    if (done !== undefined) await this.refund(done.paymentId);
  }
}

export class ShippingService extends IdempotentService<{ trackingNumber: string }> {
  async arrange(orderId: string, key: string): Promise<{ trackingNumber: string }> {
    const trackingNumber = `TRK-${orderId.toUpperCase()}`;
    return this.once(
      key,
      () => ({ trackingNumber }),
      () => `shipment ${trackingNumber} arranged`,
    );
  }
}

/** The four services of the example. */
export interface Services {
  readonly orders: OrderService;
  readonly inventory: InventoryService;
  readonly payments: PaymentService;
  readonly shipping: ShippingService;
}

/** Fresh services writing to `journal`. */
export function createServices(journal: Journal): Services {
  return {
    orders: new OrderService('orders', journal),
    inventory: new InventoryService('inventory', journal),
    payments: new PaymentService('payments', journal),
    shipping: new ShippingService('shipping', journal),
  };
}
