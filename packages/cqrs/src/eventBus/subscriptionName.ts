import { InvalidOptionError } from '../errors/errors.js';
import { ALL_EVENTS } from './handlerFanOut.js';
import type { Subscription } from './handlerFanOut.js';

/**
 * The name a new subscription to `type` gets: no other handler that an event of `type` reaches
 * (its own type's and the wildcard ones; every handler for a wildcard subscription) may have
 * it, since the name keys the handler's idempotency records (`event:<id>:<name>`).
 *
 * @param explicit The name the caller gave, refused when taken.
 * @param fallback The default name (the function's name, or a generated one); when taken it gets
 *   the first free ` #<n>` suffix from 2 on, so names follow subscription order.
 * @throws {InvalidOptionError} when `explicit` is taken.
 */
export function subscriptionName(
  subscriptions: ReadonlyMap<string, readonly Subscription[]>,
  type: string,
  explicit: string | undefined,
  fallback: string,
): string {
  const taken = namesReaching(subscriptions, type);
  if (explicit !== undefined) {
    if (!taken.has(explicit)) return explicit;
    const handlers =
      type === ALL_EVENTS ? 'handler (wildcard handlers reach every type)' : `handler of "${type}" events`;
    throw new InvalidOptionError(
      'name',
      `a name no other subscribed ${handlers} has, as it keys idempotency records; give another name or dispose that subscription first`,
      JSON.stringify(explicit),
    );
  }
  if (!taken.has(fallback)) return fallback;
  let number = 2;
  while (taken.has(`${fallback} #${number}`)) number++;
  return `${fallback} #${number}`;
}

function namesReaching(
  subscriptions: ReadonlyMap<string, readonly Subscription[]>,
  type: string,
): Set<string> {
  const names = new Set<string>();
  const add = (list: readonly Subscription[] | undefined): void =>
    list?.forEach((entry) => names.add(entry.name));
  if (type === ALL_EVENTS) for (const list of subscriptions.values()) add(list);
  else {
    add(subscriptions.get(type));
    add(subscriptions.get(ALL_EVENTS));
  }
  return names;
}
