import { describe, expectTypeOf, it } from 'vitest';
import { ValueObject } from './valueObject.js';
import type { DeepReadonly } from './valueObject.js';

type AddressProps = { lines: string[]; city: string; geo: { lat: number } };
class Address extends ValueObject<AddressProps> {}

describe('ValueObject types', () => {
  it('exposes props as deeply read-only', () => {
    const address = new Address({ lines: ['1 Main St'], city: 'Utrecht', geo: { lat: 52 } });
    expectTypeOf(address.props).toEqualTypeOf<DeepReadonly<AddressProps>>();
    expectTypeOf(address.props.lines).toEqualTypeOf<readonly string[]>();
    // @ts-expect-error props are read-only
    address.props.city = 'x';
    // @ts-expect-error nested props are read-only
    address.props.geo.lat = 1;
  });

  it('keeps nested value objects as their own class', () => {
    class Parcel extends ValueObject<{ to: Address; sentAt: Date }> {}
    const parcel = new Parcel({
      to: new Address({ lines: [], city: 'x', geo: { lat: 1 } }),
      sentAt: new Date(0),
    });
    expectTypeOf(parcel.props.to).toEqualTypeOf<Address>();
    expectTypeOf(parcel.props.sentAt).toEqualTypeOf<Date>();
  });

  it('returns the same class from with() and type-checks the changes', () => {
    const address = new Address({ lines: [], city: 'Utrecht', geo: { lat: 52 } });
    expectTypeOf(address.with({ city: 'Delft' })).toEqualTypeOf<Address>();
    // @ts-expect-error unknown prop
    address.with({ street: 'x' });
  });
});
