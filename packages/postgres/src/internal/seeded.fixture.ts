import { seededRandom } from '@keel/core';

/** Test helper: core's seeded generator in [0, 1), so a test interleaves the same way every run. */
export function seeded(seed: number): () => number {
  return seededRandom(seed);
}
