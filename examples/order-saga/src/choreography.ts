import { choreographedPaymentFailure, choreographedSuccess, outOfOrderEvents } from './choreographed.js';
import { createInfrastructure } from './infrastructure.js';
import type { Infrastructure } from './infrastructure.js';

/** Runs the choreographed scenes on `infrastructure`, printing as they go; returns their results. */
export async function runChoreography(say: (line: string) => void, infrastructure: Infrastructure) {
  say('\n=== Choreography 1: a process manager drives the order over the event bus ===');
  const success = await choreographedSuccess(say, infrastructure);
  say(`  final: ${success.instance?.status}, stage ${success.instance?.state.stage}`);

  say('\n=== Choreography 2: the card is declined ===');
  const failure = await choreographedPaymentFailure(say, infrastructure);
  say(`  final: ${failure.instance?.status}, stage ${failure.instance?.state.stage}`);

  say('\n=== Choreography 3: events arrive out of order ===');
  const reordered = await outOfOrderEvents(say, infrastructure);
  say(`  final: ${reordered.instance?.status}, stage ${reordered.instance?.state.stage}`);
  return { success, failure, reordered };
}

// Run directly with `tsx --conditions=@keel/source src/choreography.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const infrastructure = await createInfrastructure();
  console.log(`Database: ${infrastructure.description}`);
  try {
    await runChoreography(console.log, infrastructure);
  } finally {
    await infrastructure.close();
  }
}
