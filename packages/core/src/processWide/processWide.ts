import { assertOptions, optionFunction, optionString } from '../options/options.js';

/**
 * One value per process under `key`, shared by every loaded copy of the package that asks for
 * it: the ESM and the CommonJS build loaded side by side (an app that both `import`s and
 * `require`s Keel), or two installed versions. State a package promises process-wide (the id
 * generator that keeps ids in creation order, the telemetry provider, the messages the buses are
 * handling) lives here, or each copy would keep its own and break the promise.
 *
 * The first caller creates the value; every later caller, in any copy, gets that value back.
 * It is stored under `Symbol.for(key)` on `globalThis`, neither enumerable nor replaceable.
 * Put a version in the key (`@keel/core/ids@1`) and change it when the value's shape changes,
 * so that copies of different versions never share a value one of them cannot use.
 *
 * @param key A name unique to the value and its shape, e.g. `@keel/cqrs/causes-in-flight@1`.
 * @param create Makes the value; called once per process, by the first caller.
 * @returns The value every copy shares.
 * @throws {ValidationError} when `key` is not a non-empty string or `create` not a function.
 * @example
 * ```ts
 * const sessions = processWide('@acme/auth/sessions@1', () => new Map<string, string>());
 * ```
 */
export function processWide<T>(key: string, create: () => T): T {
  assertOptions('processWide', { key: optionString(key, true), create: optionFunction(create, true) });
  const slots = globalThis as unknown as Record<symbol, unknown>;
  const slot = Symbol.for(key);
  if (!Object.hasOwn(slots, slot)) {
    const value = create();
    // A `create` that asked for the same key itself has stored a value first: that one wins.
    if (!Object.hasOwn(slots, slot)) {
      Object.defineProperty(slots, slot, { value, enumerable: false, writable: false, configurable: false });
    }
  }
  return slots[slot] as T;
}
