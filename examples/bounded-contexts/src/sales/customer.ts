import type { Brand } from '@keel/core';
import { AggregateRoot } from '@keel/ddd';
import type { AggregateRootOptions, EventHandlers } from '@keel/ddd';

/** Sales' id of a customer. */
export type CustomerId = Brand<string, 'SalesCustomerId'>;

/** How Sales segments its buyers: it prices and serves them differently. */
export type Segment = 'retail' | 'wholesale';

/** The events of a Sales customer. */
export type CustomerEvents = {
  CustomerRegistered: { name: string; email: string; segment: Segment };
};

/**
 * A customer as Sales sees one: someone who buys, with a name, an e-mail and a segment.
 * Billing never sees this class; it builds its own `Payer` from the published events.
 */
export class Customer extends AggregateRoot<CustomerId, CustomerEvents> {
  readonly aggregateType = 'Customer';
  name = '';
  email = '';
  segment: Segment = 'retail';

  protected readonly handlers: EventHandlers<CustomerEvents> = {
    CustomerRegistered: ({ name, email, segment }) => {
      this.name = name;
      this.email = email;
      this.segment = segment;
    },
  };

  /** Registers a buyer: the only way to create one. */
  static register(
    id: CustomerId,
    profile: { name: string; email: string; segment: Segment },
    options: AggregateRootOptions = {},
  ): Customer {
    const { name, email, segment } = profile;
    const customer: Customer = new Customer(id, options);
    customer.ensure(name.trim() !== '', 'customer.named', `Customer ${id} needs a name.`);
    customer.ensure(
      /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email),
      'customer.email',
      `Customer ${id}: "${email}" is not an e-mail address.`,
    );
    customer.raise('CustomerRegistered', { name, email, segment });
    return customer;
  }
}
