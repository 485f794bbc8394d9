// Used by the node:test fixtures: after `refuseVitest()`, importing vitest (or any `@vitest/`
// package) fails the import, so a fixture proves the code it imports next never loads vitest.
// Importing vitest outside its runner does not throw by itself, so this check is needed.
import { register } from 'node:module';

const HOOK = `
export async function resolve(specifier, context, nextResolve) {
  if (/^(vitest|@vitest\\/)/.test(specifier)) {
    throw new Error('vitest was imported: "' + specifier + '" from ' + context.parentURL);
  }
  return nextResolve(specifier, context);
}`;

/** Makes every later import of vitest fail. Import what must not load vitest dynamically after it. */
export function refuseVitest(): void {
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
}
