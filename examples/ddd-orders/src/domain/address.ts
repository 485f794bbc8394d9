import { schemaIssues, ValueObject } from '@keel/ddd';
import { z } from 'zod';

const AddressSchema = z.object({
  recipient: z.string().trim().min(1, 'is required'),
  street: z.string().trim().min(1, 'is required'),
  postalCode: z.string().regex(/^[0-9A-Z][0-9A-Z -]{2,9}$/, 'is not a postal code'),
  city: z.string().trim().min(1, 'is required'),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter ISO country code'),
});
export type AddressProps = z.infer<typeof AddressSchema>;

/** A shipping address: a value object validated by a schema that reports every problem at once. */
export class Address extends ValueObject<AddressProps> {
  protected override validate(props: AddressProps) {
    return schemaIssues(AddressSchema, props);
  }

  get country(): string {
    return this.props.country;
  }

  /** One line, for logs and labels. */
  override toString(): string {
    const { recipient, street, postalCode, city, country } = this.props;
    return `${recipient}, ${street}, ${postalCode} ${city}, ${country}`;
  }
}
