import { z } from 'zod';

/** The body of `POST /mobile/orders`: what the app may send, checked before anything else runs. */
export const PlaceOrderBody = z.object({
  productId: z.string().regex(/^p-[a-z]+$/, 'must look like "p-kettle"'),
  quantity: z.number().int().min(1).max(10),
  shipTo: z.object({
    country: z.string().length(2, 'must be an ISO 3166-1 alpha-2 code such as "FR"'),
    postcode: z.string().min(3).max(10),
  }),
  note: z.string().max(200).optional(),
});

/** A validated order placement. */
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;
