// The README's blocks (src/readme/*.snippet.ts, checked by scripts/check-snippets.mjs), run as
// written against the test server. They use fixed keys, deleted before and after.
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const up = await serviceAvailable('redis');

const SNIPPET_KEYS = [
  'app:users:*',
  'keel:rate-limit:*client-42*',
  'keel:lock:*invoice:42*',
  'keel:lock:*nightly-report*',
];

async function deleteSnippetKeys(): Promise<void> {
  const redis = new Redis(serviceUrl('redis'));
  for (const pattern of SNIPPET_KEYS) {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
}

describe.runIf(up)('README', () => {
  beforeAll(async () => {
    vi.stubEnv('KEEL_REDIS_URL', serviceUrl('redis'));
    await deleteSnippetKeys();
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    vi.unstubAllEnvs();
    await deleteSnippetKeys();
  });

  it('quick start caches a value, takes a permit, holds a lock and exits', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('./readme/quickStart.snippet.js');
    expect(log.mock.calls[0]).toEqual([{ name: 'Ada' }, true]);
    expect(log.mock.calls[1]?.[0]).toMatch(/^invoice 42 locked, fencing token \d+$/);
    const redis = new Redis(serviceUrl('redis'));
    try {
      expect(await redis.keys('keel:lock:{invoice:42}')).toEqual([]); // released at the block's end
    } finally {
      await redis.quit();
    }
  });

  it('lock block runs the work under a watchdog lock and returns its result', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('./readme/lock.snippet.js');
    expect(log.mock.calls).toHaveLength(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/^report written with fencing token \d+$/);
  });
});
