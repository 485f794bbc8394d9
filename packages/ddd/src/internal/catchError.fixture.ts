/** Test helper: runs `fn` and returns what it threw (or `undefined`). Not exported from the package. */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Test helper: awaits `promise` and returns what it rejected with (or `undefined`). */
export async function catchRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}
