/**
 * Reads an async iterable to the end into an array. Handy in tests and for small streams;
 * iterate directly over large ones.
 *
 * @example
 * ```ts
 * const events = await collect(store.readStream('account-1'));
 * ```
 */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
