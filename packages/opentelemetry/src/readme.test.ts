// The README's blocks (src/readme/*.snippet.ts, checked by scripts/check-snippets.mjs), run as written.
import { readFile, rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

describe('README', () => {
  it('quick start prints the span tree of the traced call', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('./readme/quickStart.snippet.js');
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0]?.[0])).toContain('place order');
  });

  it('prometheus block writes the metrics page a scrape would read', async () => {
    const file = resolve('out/metrics.prom');
    try {
      await import('./readme/prometheus.snippet.js');
      const page = await readFile(file, 'utf8');
      expect(page).toMatch(/^keel_cache_\w+\{[^}]*users[^}]*\} 1/m);
    } finally {
      await rm(file, { force: true });
      await rmdir(resolve('out')).catch(() => undefined); // only when it is empty
    }
  });
});
