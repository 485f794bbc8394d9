import assert from 'node:assert/strict';

/** How a caught value reads in a failure message: its name, code and message, or that none came. */
export function described(caught: unknown): string {
  if (caught === undefined) return 'no error (the call succeeded)';
  if (caught instanceof Error) {
    const code = (caught as { code?: unknown }).code;
    return `${caught.name}${typeof code === 'string' ? ` (${code})` : ''}: ${caught.message}`;
  }
  return String(caught);
}

/** Asserts that `caught` passes `guard`, naming the error expected and what came instead. */
export function assertError(caught: unknown, guard: (value: unknown) => boolean, expected: string): void {
  assert.ok(guard(caught), `Expected a ${expected} but got ${described(caught)}.`);
}
