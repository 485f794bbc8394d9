import { createEvent } from '@keel/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBus, NESTED_WAIT_WARNING, NESTED_WAIT_WARNING_MS } from './eventBus.js';

describe('EventBus wait for a concurrency slot', () => {
  let warnings: unknown[][];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    warnings = [];
    vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => void warnings.push(args));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  /** A bus of one slot whose 'A' handler publishes 'B' and awaits it, naming the cause or not. */
  function slotBus(options: Parameters<typeof createEventBus>[0], withCause: boolean) {
    const bus = createEventBus({ concurrency: 1, ...options });
    const seen: string[] = [];
    bus.subscribe('A', async (_event, context) => {
      seen.push('A');
      await bus.publish([createEvent('B', {}, withCause ? { causedBy: context.message } : {})]);
    });
    bus.subscribe('B', () => void seen.push('B'));
    return { bus, seen };
  }

  it('warns once per bus when an awaited publish has waited long for a slot its own handler holds', async () => {
    const { bus, seen } = slotBus({}, false);
    void bus.publish([createEvent('A', {})]);
    await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS - 1);
    expect(warnings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(warnings).toHaveLength(1);
    const [text, options] = warnings[0]!;
    expect(text).toMatch(/publish of B has waited 10 s for a concurrency slot.*causedBy: context\.message/);
    expect(options).toEqual({ type: NESTED_WAIT_WARNING, code: 'KEEL_NESTED_PUBLISH_SLOT_WAIT' });
    void bus.publish([createEvent('A', {})]);
    await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS * 3);
    expect(warnings).toHaveLength(1);
    expect(seen).toEqual(['A']);
  });

  it('delivers the nested publish without a slot once it names the handled event as its cause', async () => {
    const { bus, seen } = slotBus({}, true);
    await bus.publish([createEvent('A', {})]);
    expect(seen).toEqual(['A', 'B']);
    expect(warnings).toEqual([]);
  });

  it("delivers the nested publish without a slot with nestedPublishes: 'detect', causes or not", async () => {
    const { bus, seen } = slotBus({ nestedPublishes: 'detect' }, false);
    await bus.publish([createEvent('A', {})]);
    expect(seen).toEqual(['A', 'B']);
  });

  it('starts no timer for a handler that gets a slot at once', async () => {
    const bus = createEventBus({ concurrency: 2 });
    let timers = -1;
    bus.subscribe('A', () => void (timers = vi.getTimerCount()));
    await bus.publish([createEvent('A', {})]);
    expect(timers).toBe(0);
  });

  it('does not warn of a wait for a slot that ends in time, and leaves no timer behind', async () => {
    const bus = createEventBus({ concurrency: 1 });
    let release!: () => void;
    bus.subscribe('Slow', () => new Promise<void>((resolve) => (release = resolve)));
    bus.subscribe('Quick', () => {});
    const slow = bus.publish([createEvent('Slow', {})]);
    const quick = bus.publish([createEvent('Quick', {})]);
    await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS - 1);
    expect(vi.getTimerCount()).toBe(1);
    release();
    await Promise.all([slow, quick]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(NESTED_WAIT_WARNING_MS);
    expect(warnings).toEqual([]);
  });
});
