// Run in a fresh Node process by promiseHooks.test.ts: uses every bus the way an application
// does, then prints whether async_hooks promise hooks were on before and after, as JSON.
// Arguments: `ambient` runs correlation with { ambient: true } (the opt-in); `detect` makes the
// event bus tell nested publishes with an AsyncLocalStorage scope (the other opt-in; by default it
// follows causes); `unordered` publishes events without an ordering key (by default they carry
// an aggregate's stream, as events raised by an aggregate do).
import { executionAsyncId } from 'node:async_hooks';
import { createEvent, createLogger } from '@keel/core';
import { z } from 'zod';
import {
  correlationMiddleware,
  createCommandBus,
  createEventBus,
  createQueryBus,
  idempotencyMiddleware,
  InMemoryIdempotencyStore,
  loggingMiddleware,
  timeoutMiddleware,
  validationMiddleware,
} from '../index.js';

/**
 * With promise hooks on, a promise reaction runs under the async id of its promise; with them
 * off (nothing entered an AsyncLocalStorage, no async hook with callbacks is enabled), Node runs
 * it with execution async id 0.
 */
async function promiseHooksOn(): Promise<boolean> {
  return (await Promise.resolve().then(() => executionAsyncId())) !== 0;
}

async function useTheBuses(args: readonly string[]): Promise<void> {
  const logger = createLogger(() => {}, { level: 'debug' });
  const correlation = correlationMiddleware({ ambient: args.includes('ambient') });
  const events = createEventBus({
    middleware: [correlation, loggingMiddleware(logger)],
    concurrency: 1,
    nestedPublishes: args.includes('detect') ? 'detect' : undefined,
  });
  const commands = createCommandBus({
    middleware: [
      correlation,
      loggingMiddleware(logger),
      validationMiddleware({ Open: z.object({ id: z.string() }), Welcome: z.object({ id: z.string() }) }),
      idempotencyMiddleware({ store: new InMemoryIdempotencyStore() }),
      timeoutMiddleware(1_000),
    ],
  });
  const queries = createQueryBus({ middleware: [correlation] });
  const account = { type: 'Account', id: 'a-1', stream: 'Account-a-1', version: 1 };
  const streamed = args.includes('unordered') ? {} : { metadata: { aggregate: account } };
  // An event handler that changes its own aggregate through a command: nested by its causes.
  events.subscribe('Opened', (event, context) =>
    commands.send('Welcome', event.data, { causedBy: context.message }),
  );
  events.subscribe('Welcomed', async () => {});
  commands.register('Open', async ({ data }, context) => {
    await events.publish([createEvent('Opened', data, { ...streamed, causedBy: context.message })]);
    await events.publish([createEvent('Audited', data)], { delivery: 'background' });
  });
  commands.register('Welcome', async ({ data }, context) => {
    await events.publish([createEvent('Welcomed', data, { ...streamed, causedBy: context.message })]);
  });
  queries.register('Count', async () => 1);
  await commands.send('Open', { id: 'a-1' });
  await queries.send('Count', {});
  await events.drain();
  await events.close();
}

const before = await promiseHooksOn();
await useTheBuses(process.argv.slice(2));
const after = await promiseHooksOn();
process.stdout.write(`${JSON.stringify({ before, after })}\n`);
