import { isTimeoutError, ManualClock } from '@keel/core';
import { constantBackoff, pipeline, retry, timeout } from '@keel/resilience';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { policyMiddleware } from './policyMiddleware.js';

describe('policyMiddleware with a real @keel/resilience pipeline', () => {
  it('retries a handler whose first attempt times out, giving each attempt its own signal', async () => {
    const clock = new ManualClock();
    const policy = pipeline(
      retry({ maxRetries: 2, backoff: constantBackoff(100), clock }),
      timeout(50, { clock }),
    );
    const bus = createCommandBus({ middleware: [policyMiddleware(policy)] });
    const attempts: AbortSignal[] = [];
    bus.register('Charge', (_command, { signal }) => {
      attempts.push(signal);
      if (attempts.length > 1) return 'charged';
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    });
    const charging = bus.send('Charge', {});
    await clock.tickAsync(50);
    expect(isTimeoutError(attempts[0]!.reason)).toBe(true);
    await clock.tickAsync(100);
    await expect(charging).resolves.toBe('charged');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.aborted).toBe(false);
  });

  it('rejects with the last failure once the retries are used up', async () => {
    const clock = new ManualClock();
    const bus = createCommandBus({
      middleware: [policyMiddleware(pipeline(retry({ maxRetries: 1, backoff: constantBackoff(10), clock })))],
    });
    let calls = 0;
    bus.register('Charge', () => {
      throw new Error(`declined ${++calls}`);
    });
    const charging = bus.send('Charge', {}).catch((e: unknown) => e);
    await clock.tickAsync(10);
    expect(((await charging) as Error).message).toBe('declined 2');
  });
});
