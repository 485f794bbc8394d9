import type { Policy, PolicyContext } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { policyMiddleware } from './policyMiddleware.js';

/** A hand-written retry policy: up to `attempts` tries, each with a fresh signal. */
function retryPolicy(attempts: number, signals: AbortSignal[]): Policy {
  return {
    async execute<TResult>(fn: (context: PolicyContext) => PromiseLike<TResult> | TResult): Promise<TResult> {
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const controller = new AbortController();
        signals.push(controller.signal);
        try {
          return await fn({ signal: controller.signal });
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    },
  };
}

describe('policyMiddleware', () => {
  it('runs the handler under the policy, so a retry policy retries a failing handler', async () => {
    const policySignals: AbortSignal[] = [];
    const handlerSignals: AbortSignal[] = [];
    const bus = createCommandBus({ middleware: [policyMiddleware(retryPolicy(3, policySignals))] });
    bus.register('Flaky', (_command, { signal }) => {
      handlerSignals.push(signal);
      if (handlerSignals.length < 3) throw new Error('transient');
      return 'ok';
    });
    await expect(bus.send('Flaky', {})).resolves.toBe('ok');
    expect(handlerSignals).toEqual(policySignals);
  });

  it('rejects with the last error when the policy gives up', async () => {
    const bus = createCommandBus({ middleware: [policyMiddleware(retryPolicy(2, []))] });
    let calls = 0;
    bus.register('Broken', () => {
      throw new Error(`failure ${++calls}`);
    });
    await expect(bus.send('Broken', {})).rejects.toThrow('failure 2');
  });
});
