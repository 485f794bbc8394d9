import { createCommand, createEvent, isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { createQueryBus } from '../queryBus/queryBus.js';

const malformed: Array<[string, unknown]> = [
  ['null', null],
  ['a string', 'Deposit'],
  ['an object without a type', { data: 1, metadata: {} }],
  ['an object with an empty type', { type: '', data: 1, metadata: {} }],
  ['an object without metadata', { type: 'Deposit', data: 1 }],
  ['an object whose metadata is null', { type: 'Deposit', data: 1, metadata: null }],
];

async function refusal(attempt: () => Promise<unknown>): Promise<ValidationError> {
  const error = await attempt().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isValidationError(error)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error;
}

describe('what is not a message, handed to a bus', () => {
  it.each(malformed)(
    'is refused by execute with a ValidationError, reaching no middleware: %s',
    async (_, value) => {
      const reached: string[] = [];
      const commands = createCommandBus({
        middleware: [(_context, next) => (reached.push('middleware'), next())],
      });
      commands.register('Deposit', () => reached.push('handler'));
      const queries = createQueryBus();
      queries.register('Deposit', () => reached.push('handler'));
      const command = await refusal(() => commands.execute(value as never));
      expect(command.message).toMatch(/Invalid command .*must be a message \{ type, data, metadata \}/);
      expect((await refusal(() => queries.execute(value as never))).message).toMatch(/Invalid query/);
      expect(reached).toEqual([]);
    },
  );

  it('is refused by publish, naming every bad event, and nothing is delivered', async () => {
    const delivered: string[] = [];
    const events = createEventBus();
    events.subscribe('Deposited', (event) => {
      delivered.push(event.type);
    });
    const good = createEvent('Deposited', { amount: 1 });
    const error = await refusal(() =>
      events.publish([good, null, { type: 'Deposited', data: 1 }, good] as never),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['events', 1],
      ['events', 2],
    ]);
    expect(error.message).toMatch(/without|metadata undefined/);
    expect(delivered).toEqual([]);
  });

  it.each([
    ['null', null],
    ['one event instead of an array', createEvent('Deposited', {})],
  ])('is refused by publish when the events are %s', async (_, value) => {
    const events = createEventBus();
    const error = await refusal(() => events.publish(value as never));
    expect(error.message).toMatch(/events: must be an array of events/);
  });

  it('refuses a signal that is not an AbortSignal before dispatching', async () => {
    const handled: string[] = [];
    const commands = createCommandBus();
    commands.register('Deposit', () => handled.push('handler'));
    const events = createEventBus();
    events.subscribe('Deposited', () => {
      handled.push('event handler');
    });
    const signal = 'stop' as unknown as AbortSignal;
    for (const attempt of [
      () => commands.execute(createCommand('Deposit', {}), { signal }),
      () => commands.send('Deposit', {}, { signal }),
      () => events.publish([createEvent('Deposited', {})], { signal }),
    ]) {
      expect((await refusal(attempt)).message).toMatch(/signal: must be an AbortSignal \(got "stop"\)/);
    }
    expect(handled).toEqual([]);
  });
});
