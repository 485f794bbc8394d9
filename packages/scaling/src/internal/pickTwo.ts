/**
 * Power of two choices: samples two distinct candidates at random and keeps the one with the
 * lower cost (the first on a tie). With one candidate, returns it.
 */
export function pickTwo<T>(
  candidates: readonly T[],
  random: () => number,
  cost: (candidate: T) => number,
): T {
  const count = candidates.length;
  const first = Math.min(Math.floor(random() * count), count - 1);
  if (count === 1) return candidates[first]!;
  let second = Math.min(Math.floor(random() * (count - 1)), count - 2);
  if (second >= first) second++;
  const a = candidates[first]!;
  const b = candidates[second]!;
  return cost(b) < cost(a) ? b : a;
}
