import { isTimeoutError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { timeoutMiddleware } from './timeoutMiddleware.js';

describe('timeoutMiddleware', () => {
  it('rejects with a TimeoutError when the handler runs too long, even if it ignores its signal', async () => {
    const clock = new ManualClock();
    const bus = createCommandBus({ middleware: [timeoutMiddleware(100, { clock })] });
    let handlerSignal: AbortSignal | undefined;
    bus.register('Slow', (_command, { signal }) => {
      handlerSignal = signal;
      return new Promise(() => {});
    });
    const running = bus.send('Slow', {}).catch((e: unknown) => e);
    await clock.tickAsync(99);
    expect(handlerSignal?.aborted).toBe(false);
    await clock.tickAsync(1);
    const error = await running;
    expect(isTimeoutError(error) && error.timeoutMs === 100).toBe(true);
    expect((error as Error).message).toBe('command "Slow" timed out after 100 ms.');
    expect(handlerSignal?.aborted).toBe(true);
  });

  it('leaves no timer behind when the handler finishes in time', async () => {
    const clock = new ManualClock();
    const bus = createCommandBus({ middleware: [timeoutMiddleware(100, { clock })] });
    bus.register('Fast', () => 'ok');
    await expect(bus.send('Fast', {})).resolves.toBe('ok');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a limit that is not a positive finite number, or none, with a ValidationError', () => {
    for (const ms of [0, -1, Number.NaN, Infinity, undefined, '100']) {
      expect(() => timeoutMiddleware(ms as number)).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          issues: [expect.objectContaining({ path: ['ms'] })],
        }),
      );
    }
  });

  it('uses the system clock when clock is undefined', async () => {
    const bus = createCommandBus({ middleware: [timeoutMiddleware(60_000, { clock: undefined })] });
    bus.register('Fast', () => 'ok');
    await expect(bus.send('Fast', {})).resolves.toBe('ok');
    expect(() => timeoutMiddleware(10, { clock: {} as ManualClock })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
