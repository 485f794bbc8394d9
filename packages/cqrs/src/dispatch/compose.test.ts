import { createCommand } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { MessageContext, Middleware } from '../middleware/middleware.js';
import { compose, withInlineStep } from './compose.js';
import { DispatchContext } from './dispatchContext.js';

const terminal = (seen: MessageContext[]) => (context: MessageContext) => {
  seen.push(context);
  return Promise.resolve(context.message.data);
};

function contextOf(data: unknown): DispatchContext {
  return new DispatchContext('command', createCommand('Test', data), undefined);
}

describe('compose with inline steps', () => {
  it('runs the inline form instead of the middleware when it decides the call', async () => {
    let fullRuns = 0;
    const full: Middleware = (_context, next) => {
      fullRuns++;
      return next();
    };
    const seen: MessageContext[] = [];
    const run = compose([withInlineStep(full, (context) => context.message)], terminal(seen));
    const context = contextOf(1);
    await expect(run(context)).resolves.toBe(1);
    expect(fullRuns).toBe(0);
    expect(seen[0]).toBe(context);
  });

  it('falls back to the full middleware when the inline form returns undefined', async () => {
    const after: string[] = [];
    const full: Middleware = async (_context, next) => {
      const result = await next();
      after.push('after next');
      return result;
    };
    const run = compose([withInlineStep(full, () => undefined)], terminal([]));
    await expect(run(contextOf(2))).resolves.toBe(2);
    expect(after).toEqual(['after next']);
  });

  it('hands a replaced message on in a new context and leaves the caller context unchanged', async () => {
    const replaced: Message = createCommand('Test', 'replaced');
    const seen: MessageContext[] = [];
    const step = withInlineStep(
      (_context, next) => next({ message: replaced }),
      () => replaced,
    );
    const outerSaw: Message[] = [];
    const outer: Middleware = async (context, next) => {
      const result = await next();
      outerSaw.push(context.message);
      return result;
    };
    const context = contextOf('original');
    await expect(compose([outer, step], terminal(seen))(context)).resolves.toBe('replaced');
    expect(seen[0]!.message).toBe(replaced);
    expect(outerSaw[0]!.data).toBe('original');
    expect(context.message.data).toBe('original');
  });

  it('turns a throwing inline form into a rejection that an outer middleware can catch, and runs nothing inside', async () => {
    const seen: MessageContext[] = [];
    const refusing = withInlineStep(
      () => Promise.reject(new Error('never used')),
      () => {
        throw new Error('refused');
      },
    );
    const caught: unknown[] = [];
    const outer: Middleware = (_context, next) =>
      next().catch((error: unknown) => {
        caught.push(error);
        return 'handled';
      });
    await expect(compose([outer, refusing], terminal(seen))(contextOf(3))).resolves.toBe('handled');
    expect((caught[0] as Error).message).toBe('refused');
    expect(seen).toEqual([]);
  });

  it('hands an unfrozen message through inline steps on to the terminal, which freezes it', async () => {
    const seenByInline: boolean[] = [];
    const step = withInlineStep(
      (_context, next) => next(),
      (context) => {
        seenByInline.push(Object.isFrozen(context.message));
        return context.message;
      },
    );
    const unfrozen: Message = { ...createCommand('Test', 7) };
    const handedOn: unknown[] = [];
    const run = compose([step, step], (context, message) => {
      handedOn.push(message);
      return Promise.resolve(context.message.data);
    });
    await expect(run(new DispatchContext('command', unfrozen, undefined), unfrozen)).resolves.toBe(7);
    expect(seenByInline).toEqual([false, false]);
    expect(handedOn).toEqual([unfrozen]);
  });

  it('drops an unfrozen message an inline step replaces, without freezing it', async () => {
    const replaced: Message = createCommand('Test', 'replaced');
    const step = withInlineStep(
      (_context, next) => next({ message: replaced }),
      () => replaced,
    );
    const unfrozen: Message = { ...createCommand('Test', 'original') };
    const seen: MessageContext[] = [];
    const run = compose([step], terminal(seen));
    await expect(run(new DispatchContext('command', unfrozen, undefined), unfrozen)).resolves.toBe(
      'replaced',
    );
    expect(Object.isFrozen(unfrozen)).toBe(false);
    expect(seen[0]!.message).toBe(replaced);
  });
});
