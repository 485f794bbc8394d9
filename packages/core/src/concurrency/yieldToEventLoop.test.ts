import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from './yieldToEventLoop.js';

describe('yieldToEventLoop', () => {
  it('lets every callback queued before it run first, including a chain of promise callbacks', async () => {
    const seen: string[] = [];
    void Promise.resolve()
      .then(() => seen.push('first'))
      .then(() => seen.push('second'));
    setImmediate(() => seen.push('immediate'));
    await yieldToEventLoop();
    expect(seen).toEqual(['first', 'second', 'immediate']);
  });
});
