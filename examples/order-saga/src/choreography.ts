import { choreographedPaymentFailure, choreographedSuccess, outOfOrderEvents } from './choreographed.js';

/** Runs the choreographed scenes, printing as they go. */
export async function runChoreography(say: (line: string) => void = console.log): Promise<void> {
  say('\n=== Choreography 1: a process manager drives the order over the event bus ===');
  const success = await choreographedSuccess(say);
  say(`  final: ${success.instance?.status}, stage ${success.instance?.state.stage}`);

  say('\n=== Choreography 2: the card is declined ===');
  const failure = await choreographedPaymentFailure(say);
  say(`  final: ${failure.instance?.status}, stage ${failure.instance?.state.stage}`);

  say('\n=== Choreography 3: events arrive out of order ===');
  const reordered = await outOfOrderEvents(say);
  say(`  final: ${reordered.instance?.status}, stage ${reordered.instance?.state.stage}`);
}

// Run directly with `tsx --conditions=@keel/source src/choreography.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  await runChoreography();
}
