/** An exponentially distributed sample with the given mean, drawn from `random`. */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}
