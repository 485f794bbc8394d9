import { createEvent, createLogger, isValidationError, ManualClock } from '@keel/core';
import type { EventPublisher, LogEntry, Message, ValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { EventDeliveryError } from '../errors/errors.js';
import { isEventDeliveryError } from '../errors/errors.js';
import type { Middleware } from '../middleware/middleware.js';
import { ALL_EVENTS, createEventBus, NESTED_WAIT_WARNING, NESTED_WAIT_WARNING_MS } from './eventBus.js';
import { timeoutMiddleware } from '../middleware/timeoutMiddleware.js';
import { createCommandBus } from '../commandBus/commandBus.js';

interface Events {
  Deposited: { accountId: string; amount: number };
  Withdrawn: { accountId: string; amount: number };
}

const deposited = (amount: number, accountId = 'a-1') =>
  createEvent('Deposited', { accountId, amount }, { metadata: { headers: { streamId: accountId } } });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('EventBus', () => {
  it('delivers an event to every handler of its type and to wildcard handlers', async () => {
    const bus = createEventBus<Events>();
    const seen: string[] = [];
    bus.subscribe('Deposited', (event) => void seen.push(`first:${event.data.amount}`));
    bus.subscribe('Deposited', (event) => void seen.push(`second:${event.data.amount}`));
    bus.subscribe(ALL_EVENTS, (event) => void seen.push(`all:${event.type}`));
    bus.subscribe('Withdrawn', () => void seen.push('wrong'));
    await bus.publish([deposited(5)]);
    expect(seen.sort()).toEqual(['all:Deposited', 'first:5', 'second:5']);
  });

  it('resolves publish only after every handler has finished', async () => {
    const clock = new ManualClock();
    const bus = createEventBus<Events>();
    let finished = false;
    bus.subscribe('Deposited', async () => {
      await clock.sleep(100);
      finished = true;
    });
    let published = false;
    const publishing = bus.publish([deposited(1)]).then(() => (published = true));
    await clock.tickAsync(99);
    expect(published).toBe(false);
    await clock.tickAsync(1);
    await publishing;
    expect(finished).toBe(true);
  });

  it('keeps delivering to other handlers and later events when a handler fails, then reports every failure', async () => {
    const bus = createEventBus<Events>();
    const delivered: number[] = [];
    bus.subscribe(
      'Deposited',
      (event) => {
        if (event.data.amount < 3) throw new Error(`rejected ${event.data.amount}`);
      },
      { name: 'picky' },
    );
    bus.subscribe('Deposited', (event) => void delivered.push(event.data.amount), { name: 'recorder' });
    const error = await bus.publish([deposited(1), deposited(2), deposited(3)]).catch((e: unknown) => e);
    expect(delivered).toEqual([1, 2, 3]);
    expect(isEventDeliveryError(error)).toBe(true);
    const failures = (error as EventDeliveryError).failures;
    expect(failures.map((f) => [f.handler, f.event.data, f.error.message])).toEqual([
      ['picky', { accountId: 'a-1', amount: 1 }, 'rejected 1'],
      ['picky', { accountId: 'a-1', amount: 2 }, 'rejected 2'],
    ]);
    expect((error as Error).message).toContain('2 event handlers failed');
  });

  it('never runs more handlers at once than its concurrency', async () => {
    const bus = createEventBus<Events>({ concurrency: 2 });
    const gate = deferred();
    let active = 0;
    let peak = 0;
    for (let i = 0; i < 5; i++) {
      bus.subscribe('Deposited', async () => {
        active++;
        peak = Math.max(peak, active);
        await gate.promise;
        active--;
      });
    }
    const publishing = bus.publish([deposited(1, 'x'), deposited(2, 'y')]);
    await flush();
    expect(active).toBe(2);
    gate.resolve();
    await publishing;
    expect(peak).toBe(2);
  });

  it('does not deadlock when a handler publishes to its own bus and waits', async () => {
    const bus = createEventBus<Events>({ concurrency: 1 });
    const seen: string[] = [];
    bus.subscribe('Deposited', async (event, context) => {
      seen.push('deposited');
      await bus.publish([
        createEvent('Withdrawn', event.data, {
          causedBy: context.message,
          metadata: { headers: { streamId: 'a-1' } },
        }),
      ]);
    });
    bus.subscribe('Withdrawn', () => void seen.push('withdrawn'));
    await bus.publish([deposited(1)]);
    expect(seen).toEqual(['deposited', 'withdrawn']);
  });

  /** An event bus and a command bus whose Withdraw handler publishes to the stream it is given. */
  function accountBuses(options: Parameters<typeof createEventBus>[0], withCauses: boolean) {
    const bus = createEventBus<Events>(options);
    const commands = createCommandBus<{ Withdraw: { data: { accountId: string } } }>();
    const seen: string[] = [];
    commands.register('Withdraw', async ({ data }, context) => {
      await flush(); // as a repository would, after loading and appending
      const stream = { headers: { streamId: data.accountId } };
      await bus.publish([
        createEvent(
          'Withdrawn',
          { ...data, amount: 1 },
          { metadata: stream, ...(withCauses ? { causedBy: context.message } : {}) },
        ),
      ]);
    });
    bus.subscribe('Deposited', async (event, context) => {
      seen.push('deposited');
      const cause = withCauses ? { causedBy: context.message } : {};
      await commands.send('Withdraw', { accountId: event.data.accountId }, cause);
      seen.push('withdraw sent');
    });
    bus.subscribe('Withdrawn', () => void seen.push('withdrawn'));
    return { bus, seen };
  }

  it('does not deadlock when a handler changes its own stream through a command bus, the causes passed on', async () => {
    const { bus, seen } = accountBuses({}, true);
    await bus.publish([deposited(1)]);
    expect(seen).toEqual(['deposited', 'withdrawn', 'withdraw sent']);
  });

  it('follows causes through an event of another bus and a command back to the running delivery', async () => {
    const bus = createEventBus<Events>();
    const audit = createEventBus<{ Audited: { accountId: string } }>();
    const commands = createCommandBus<{ Withdraw: { data: { accountId: string } } }>();
    const seen: string[] = [];
    bus.subscribe('Deposited', async (event, context) => {
      await audit.publish([
        createEvent('Audited', { accountId: event.data.accountId }, { causedBy: context.message }),
      ]);
      seen.push('deposited');
    });
    audit.subscribe('Audited', async (event, context) => {
      await commands.send('Withdraw', event.data, { causedBy: context.message });
    });
    commands.register('Withdraw', async ({ data }, context) => {
      await flush();
      const stream = { headers: { streamId: data.accountId } };
      await bus.publish([
        createEvent('Withdrawn', { ...data, amount: 1 }, { metadata: stream, causedBy: context.message }),
      ]);
    });
    bus.subscribe('Withdrawn', () => void seen.push('withdrawn'));
    await bus.publish([deposited(1)]);
    expect(seen).toEqual(['withdrawn', 'deposited']);
  });

  it("does not deadlock through a command bus with no causes passed when the bus opts in to 'detect'", async () => {
    // The repository raises a new event with no cause: only the delivery scope shows it is nested.
    const { bus, seen } = accountBuses({ nestedPublishes: 'detect' }, false);
    await bus.publish([deposited(1)]);
    expect(seen).toEqual(['deposited', 'withdrawn', 'withdraw sent']);
  });

  it('warns once per bus, as a process warning, when an awaited publish waits long behind a delivery of its key', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warnings: unknown[][] = [];
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    try {
      // No causes and no detection: the handler's publish waits behind its own delivery.
      const { bus, seen } = accountBuses({}, false);
      void bus.publish([deposited(1)]);
      void bus.publish([deposited(2, 'a-2')]);
      await vi.waitFor(() => expect(seen).toEqual(['deposited', 'deposited']));
      await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS - 1);
      expect(warnings).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(warnings).toHaveLength(1);
      const [text, options] = warnings[0]!;
      expect(text).toMatch(/Withdrawn \(ordering key "a-[12]"\).*causedBy: context\.message.*'detect'/);
      expect(options).toEqual({ type: NESTED_WAIT_WARNING, code: 'KEEL_NESTED_PUBLISH_WAIT' });
      await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS * 3);
      expect(warnings).toHaveLength(1); // the second stuck publish does not warn again
      expect(seen).toEqual(['deposited', 'deposited']); // and nothing was delivered out of turn
    } finally {
      emitWarning.mockRestore();
      vi.useRealTimers();
    }
  });

  it('does not warn of a publish that gets its turn in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const bus = createEventBus<Events>();
      const gate = deferred();
      bus.subscribe('Deposited', () => gate.promise);
      const first = bus.publish([deposited(1)]);
      const second = bus.publish([deposited(2)]); // queued behind the first, watched
      await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS - 1);
      gate.resolve();
      await Promise.all([first, second]);
      await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS * 2);
      expect(emitWarning).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      emitWarning.mockRestore();
      vi.useRealTimers();
    }
  });

  it('still orders a publish from outside behind a delivery of the same stream', async () => {
    const bus = createEventBus<Events>();
    const gate = deferred();
    const seen: string[] = [];
    bus.subscribe('Deposited', async () => {
      seen.push('deposited started');
      await gate.promise;
      seen.push('deposited done');
    });
    bus.subscribe('Withdrawn', () => void seen.push('withdrawn'));
    const first = bus.publish([deposited(1)]);
    await flush();
    const second = bus.publish([
      createEvent(
        'Withdrawn',
        { accountId: 'a-1', amount: 1 },
        { metadata: { headers: { streamId: 'a-1' } } },
      ),
    ]);
    await flush();
    expect(seen).toEqual(['deposited started']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(seen).toEqual(['deposited started', 'deposited done', 'withdrawn']);
  });

  it('refuses an unknown nested-publish detection with a ValidationError', () => {
    expect(() => createEventBus({ nestedPublishes: 'guess' as never })).toThrow(/nestedPublishes/);
  });

  it('delivers events of one stream in publish order across concurrent publishes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(5)), { minLength: 1, maxLength: 20 }),
        async (plan) => {
          const bus = createEventBus<Events>({ concurrency: 3 });
          const handled = new Map<string, number[]>();
          bus.subscribe('Deposited', async (event) => {
            for (let i = 0; i < event.data.amount % 4; i++) await Promise.resolve();
            const list = handled.get(event.data.accountId) ?? [];
            handled.set(event.data.accountId, [...list, event.data.amount]);
          });
          const events = plan.map(([stream, delay], index) => deposited(index * 10 + delay, stream));
          await Promise.all(events.map((event) => bus.publish([event])));
          for (const [stream, amounts] of handled) {
            const expected = events.filter((e) => e.data.accountId === stream).map((e) => e.data.amount);
            expect(amounts).toEqual(expected);
          }
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it('starts the next event of a stream only after every handler of the previous one finished', async () => {
    const bus = createEventBus<Events>();
    const gate = deferred();
    const trace: string[] = [];
    bus.subscribe('Deposited', async (event) => {
      trace.push(`start ${event.data.amount}`);
      if (event.data.amount === 1) await gate.promise;
      trace.push(`end ${event.data.amount}`);
    });
    const first = bus.publish([deposited(1)]);
    const second = bus.publish([deposited(2)]);
    await flush();
    expect(trace).toEqual(['start 1']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(trace).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('in background mode resolves publish at once and hands failures to the error hook', async () => {
    const errors: EventDeliveryError[] = [];
    const bus = createEventBus<Events>({ delivery: 'background', onError: (error) => errors.push(error) });
    const gate = deferred();
    bus.subscribe('Deposited', async () => {
      await gate.promise;
      throw new Error('late failure');
    });
    await bus.publish([deposited(1)]);
    expect(errors).toEqual([]);
    gate.resolve();
    await bus.drain();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.failures[0]!.error.message).toBe('late failure');
  });

  it('logs background failures through the logger when there is no error hook', async () => {
    const entries: LogEntry[] = [];
    const bus = createEventBus<Events>({ logger: createLogger((entry) => entries.push(entry)) });
    bus.subscribe('Deposited', () => {
      throw new Error('nope');
    });
    await bus.publish([deposited(1)], { delivery: 'background' });
    await bus.close();
    expect(entries.map((entry) => entry.level)).toEqual(['error']);
    expect(entries[0]!.message).toContain('nope');
  });

  it('can be used wherever a core EventPublisher is expected', async () => {
    const bus = createEventBus();
    const handler = vi.fn();
    bus.subscribe('Anything', handler);
    const publisher: EventPublisher = bus;
    await publisher.publish([createEvent('Anything', 1)]);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('stops delivering to a handler once unsubscribed', async () => {
    const bus = createEventBus<Events>();
    const handler = vi.fn();
    const stop = bus.subscribe('Deposited', handler);
    stop();
    await bus.publish([deposited(1)]);
    expect(handler).not.toHaveBeenCalled();
    expect(bus.handlerCount()).toBe(0);
  });

  it('runs handler middleware around each handler, so a retry re-runs only the failing one', async () => {
    const retryOnce: Middleware = async (_context, next) => {
      try {
        return await next();
      } catch {
        return next();
      }
    };
    const bus = createEventBus<Events>({ handlerMiddleware: [retryOnce] });
    const steady = vi.fn();
    let flakyCalls = 0;
    bus.subscribe('Deposited', steady);
    bus.subscribe('Deposited', () => {
      if (++flakyCalls === 1) throw new Error('flaky');
    });
    await bus.publish([deposited(1)]);
    expect([steady.mock.calls.length, flakyCalls]).toEqual([1, 2]);
  });

  it('reports a failing event middleware as a pipeline failure and still delivers later events', async () => {
    const rejectSmall: Middleware = (context, next) => {
      if ((context.message.data as { amount: number }).amount < 2)
        return Promise.reject(new Error('too small'));
      return next();
    };
    const bus = createEventBus<Events>({ middleware: [rejectSmall] });
    const handled: number[] = [];
    bus.subscribe('Deposited', (event) => void handled.push(event.data.amount));
    const error = (await bus
      .publish([deposited(1), deposited(2)])
      .catch((e: unknown) => e)) as EventDeliveryError;
    expect(handled).toEqual([2]);
    expect(error.failures.map((f) => f.handler)).toEqual(['(pipeline)']);
  });

  it('rejects publish with the abort reason when the signal aborts during delivery', async () => {
    const bus = createEventBus<Events>();
    let handlerSignal: AbortSignal | undefined;
    bus.subscribe('Deposited', (_event, { signal }) => {
      handlerSignal = signal;
      return new Promise(() => {});
    });
    const controller = new AbortController();
    const publishing = bus.publish([deposited(1)], { signal: controller.signal });
    await flush();
    controller.abort(new Error('shutdown'));
    await expect(publishing).rejects.toThrow('shutdown');
    expect(handlerSignal?.aborted).toBe(true);
  });

  it('rejects an out-of-range concurrency at construction with a ValidationError naming it', () => {
    let caught: unknown;
    try {
      createEventBus({ concurrency: 0 });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual(['concurrency']);
  });

  it('names anonymous handlers by type and number in failure reports', async () => {
    const bus = createEventBus();
    bus.subscribe('Thing', () => {
      throw new Error('x');
    });
    const error = (await bus
      .publish([createEvent('Thing', {}) as Message])
      .catch((e: unknown) => e)) as EventDeliveryError;
    expect(error.failures[0]!.handler).toBe('Thing handler #1');
  });
});

describe('EventBus handler middleware', () => {
  it('times out one slow handler while the others complete, and reports only the slow one', async () => {
    const clock = new ManualClock();
    const bus = createEventBus<Events>({ handlerMiddleware: [timeoutMiddleware(50, { clock })] });
    const done: string[] = [];
    bus.subscribe('Deposited', () => new Promise(() => {}), { name: 'stuck' });
    bus.subscribe('Deposited', async () => {
      await clock.sleep(10);
      done.push('quick');
    });
    const publishing = bus.publish([deposited(1)]).catch((e: unknown) => e);
    await clock.tickAsync(50);
    const error = (await publishing) as EventDeliveryError;
    expect(done).toEqual(['quick']);
    expect(error.failures.map((f) => [f.handler, f.error.name])).toEqual([['stuck', 'TimeoutError']]);
  });
});
