import type { Clock } from '@keel/core';
import { systemClock } from '@keel/core';
import { runChoreography } from './choreography.js';
import { crashAndRecover, paymentFailure, successfulOrder } from './orchestrated.js';

/** Runs the orchestrated scenarios, then the choreographed ones. */
export async function main(
  say: (line: string) => void = console.log,
  clock: Clock = systemClock,
): Promise<void> {
  say('=== Saga 1: a successful order (with a payment outage absorbed by retries) ===');
  const success = await successfulOrder(say, clock);
  say(`  outcome: ${success.outcome.status}`);

  say('\n=== Saga 2: the card is declined; completed steps are compensated in reverse ===');
  const failure = await paymentFailure(say, clock);
  say(`  outcome: ${failure.outcome.status}; compensated: ${failure.status?.compensatedSteps.join(' ← ')}`);

  say('\n=== Saga 3: a worker crashes mid-saga; another one recovers it ===');
  const crash = await crashAndRecover(say, clock);
  say(`  outcome: ${crash.outcome.status}`);

  await runChoreography(say);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
