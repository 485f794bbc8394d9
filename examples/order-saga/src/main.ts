import type { Clock } from '@keel/core';
import { createLogger, systemClock } from '@keel/core';
import { runChoreography } from './choreography.js';
import { createInfrastructure } from './infrastructure.js';
import type { InfrastructureOptions } from './infrastructure.js';
import { abortOnInterrupt, runDistributedIfReachable } from './distributed/launcher.js';
import { observe } from './observed.js';
import { crashAndRecover, paymentFailure, successfulOrder } from './orchestrated.js';

/**
 * Opens the database (embedded PGlite, or the server in KEEL_PG_URL), runs the orchestrated
 * scenarios, then the choreographed ones, and closes the database. Returns every result.
 */
export async function main(
  say: (line: string) => void = console.log,
  clock: Clock = systemClock,
  options: InfrastructureOptions = {},
) {
  const progress = createLogger((entry) => say(`  · ${entry.message}`), { level: 'info' });
  const infrastructure = await createInfrastructure({ logger: progress, ...options });
  say(`Database: ${infrastructure.description}`);
  try {
    say('\n=== Saga 1: a successful order (with a payment outage absorbed by retries) ===');
    const success = await successfulOrder(say, infrastructure, clock);
    say(`  outcome: ${success.outcome.status}`);

    say('\n=== Saga 2: the card is declined; completed steps are compensated in reverse ===');
    const failure = await paymentFailure(say, infrastructure, clock);
    say(`  outcome: ${failure.outcome.status}; compensated: ${failure.status?.compensatedSteps.join(' ← ')}`);

    say('\n=== Saga 3: a worker crashes mid-saga; another one recovers it from the database ===');
    const crash = await crashAndRecover(say, infrastructure, clock);
    say(`  outcome: ${crash.outcome.status}`);

    const choreography = await runChoreography(say, infrastructure);
    return { backend: infrastructure.backend, success, failure, crash, choreography };
  } finally {
    await infrastructure.close();
  }
}

// `pnpm start`: the single-process variants, then the distributed one when its servers answer.
if (import.meta.url === `file://${process.argv[1]}`) {
  await observe(() => main()); // prints the span trees and writes out/metrics.prom
  await runDistributedIfReachable({ signal: abortOnInterrupt() });
}
