import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentRequestContext, runWithRequestContext } from './requestContext.js';
import type { RequestContext } from './requestContext.js';

const context: RequestContext = { correlationId: 'c-1', traceContext: {} };

afterEach(() => {
  vi.resetModules();
});

describe('request context', () => {
  it('is the context of the request being handled, across awaits, and none outside', async () => {
    const seen = await runWithRequestContext(context, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return currentRequestContext();
    });
    expect(seen).toBe(context);
    expect(currentRequestContext()).toBeUndefined();
  });

  it('is shared with another loaded copy of the package (ESM and CommonJS side by side)', async () => {
    vi.resetModules();
    const copy = await import('./requestContext.js');
    expect(copy.currentRequestContext).not.toBe(currentRequestContext); // a second copy indeed
    // The server middleware of one copy enters it; an upstream client of the other reads it.
    expect(runWithRequestContext(context, () => copy.currentRequestContext())).toBe(context);
  });
});
